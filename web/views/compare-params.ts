/**
 * The Strategies view's URL parameters, checked against the entities: each value the form
 * would otherwise replace silently (an unknown root, a limit out of range, …) becomes a
 * readable problem with a suggestion (url-problems.ts).
 */
import { compareLimits, strategyNames, type EntitiesResponse } from '../../common/lab-types.ts';
import { nearest, type UrlProblem } from './url-problems.ts';

const known = ['root', 'populate', 'limit', 'where', 'strategies', 'repeat', 'sweep', 'run', 'strategy'];

export function compareUrlProblems(params: URLSearchParams, entities: EntitiesResponse): UrlProblem[] {
  const problems: UrlProblem[] = [];
  const names = entities.entities.map((e) => e.name);
  const root = params.get('root');
  const fallback = names.includes('User') ? 'User' : (names[0] ?? '');
  const entity = entities.entities.find((e) => e.name === root);
  if (root !== null && !entity) {
    const near = nearest(root, names);
    problems.push({ param: 'root', message: `root=${root}: there is no entity ${root} in the ORM model (${names.length} entities).${near.length ? ` Did you mean ${near.join(', ')}?` : ''} Showing ${fallback}.`, fix: { root: near[0] ?? null, populate: null, run: null } });
  }
  const int = (key: 'limit' | 'repeat') => {
    const raw = params.get(key);
    if (raw === null) return;
    const v = Number(raw);
    const lim = compareLimits[key];
    if (!Number.isInteger(v) || v < lim.min || v > lim.max) problems.push({ param: key, message: `${key}=${raw} is not a whole number from ${lim.min} to ${lim.max}. Using ${lim.default}.`, fix: { [key]: null, run: null } });
  };
  int('limit');
  int('repeat');
  const strategies = params.get('strategies');
  if (strategies !== null) {
    const unknown = strategies.split(',').filter((s) => s && !(strategyNames as readonly string[]).includes(s));
    if (unknown.length) problems.push({ param: 'strategies', message: `strategies=${strategies}: ${unknown.join(', ')} ${unknown.length > 1 ? 'are not strategies' : 'is not a strategy'} (use ${strategyNames.join(', ')}).`, fix: { strategies: null, run: null } });
  }
  const strategy = params.get('strategy');
  if (strategy !== null && !(strategyNames as readonly string[]).includes(strategy)) problems.push({ param: 'strategy', message: `strategy=${strategy} is not a strategy (use ${strategyNames.join(', ')}).`, fix: { strategy: null } });
  const sweep = params.get('sweep');
  if (sweep && !/^\d+(,\d+)*$/.test(sweep)) problems.push({ param: 'sweep', message: `sweep=${sweep} is not a list of page sizes such as 1,10,100.`, fix: { sweep: null, run: null } });
  const run = params.get('run');
  if (run !== null && run !== '1') problems.push({ param: 'run', message: `run=${run} is not understood: run=1 runs the comparison.`, fix: { run: null } });
  const populate = params.get('populate');
  if (populate && entity) {
    const paths = new Set(entity.paths);
    const unknown = populate.split(',').map((p) => p.trim()).filter((p) => p && !paths.has(p));
    // Paths deeper than the listed two levels are checked by the server when the comparison runs.
    const checkable = unknown.filter((p) => p.split('.').length <= 2);
    if (checkable.length) problems.push({ param: 'populate', message: `populate=${populate}: ${entity.name} has no relation path ${checkable.join(', ')} (it has ${entity.paths.slice(0, 6).join(', ')}${entity.paths.length > 6 ? ', …' : ''}).`, fix: { populate: populate.split(',').filter((p) => !checkable.includes(p.trim())).join(',') || null, run: null } });
  }
  for (const key of new Set(params.keys())) {
    if (!known.includes(key)) problems.push({ param: key, message: `${key} is not a parameter of the Strategies view (it reads ${known.join(', ')}).`, fix: { [key]: null } });
  }
  return problems;
}
