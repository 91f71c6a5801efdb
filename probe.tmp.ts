import { modelFromEntities } from './server/schema/from-orm.ts';
import { doctor } from './server/schema/doctor.ts';
import { demoEntities } from './entities/index.ts';
const m = await modelFromEntities(demoEntities);
for (const f of doctor(m, null)) console.log(f.severity, f.code, f.entity + '.' + f.property, '\n ', f.message, '\n' + f.fix);
