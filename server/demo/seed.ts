import type pg from 'pg';
import { demoTables } from './schema.ts';

/**
 * Deterministic demo data generated inside Postgres: every "random" choice is a hash of the
 * row number (hashint8extended is stable across versions and platforms), so the same scale
 * gives the same rows on PG 15 and on the embedded PG 18.
 */
export interface SeedCounts {
  users: number;
  posts: number;
  topComments: number;
  replyLevels: number[];
  teams: number;
}

export function seedCounts(scale: number): SeedCounts {
  const n = (base: number) => Math.max(1, Math.round(base * scale));
  return {
    users: n(1000),
    posts: n(10_000),
    // 30k comments per scale: half top-level, the rest replies three levels deep.
    topComments: n(15_000),
    replyLevels: [n(9_000), n(4_500), n(1_500)],
    teams: Math.max(3, Math.round(30 * scale)),
  };
}

export interface SeedStep {
  label: string;
  sql: string;
}

const categoryNames = [
  ['Tech', 'Software, hardware and the web'], ['Food', 'Recipes and restaurants'], ['News', 'What happened today'],
  ['Travel', 'Places and journeys'], ['Science', 'Research and discovery'], ['Sports', 'Games and results'],
  ['Music', 'Albums, concerts and gear'], ['Books', 'Reviews and reading lists'], ['Film', 'Cinema and series'],
  ['Health', 'Fitness and medicine'], ['Finance', 'Money and markets'], ['Design', 'Visual and product design'],
  ['Gaming', 'Video and board games'], ['Politics', 'Policy and elections'], ['Education', 'Learning and teaching'],
  ['Art', 'Painting, sculpture and more'], ['Nature', 'Plants, animals and climate'], ['History', 'The past, examined'],
  ['Humor', 'Jokes and satire'], ['Meta', 'About this site'],
];

const firstNames = ['Ada', 'Alan', 'Grace', 'Linus', 'Barbara', 'Edsger', 'Margaret', 'Ken', 'Radia', 'Donald', 'Frances', 'Niklaus', 'Katherine', 'Dennis', 'Hedy', 'Bjarne'];
const lastNames = ['Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Liskov', 'Dijkstra', 'Hamilton', 'Thompson', 'Perlman', 'Knuth', 'Allen', 'Wirth', 'Johnson', 'Ritchie', 'Lamarr', 'Stroustrup'];

const sqlArray = (items: string[]) => `array[${items.map((s) => `'${s.replace(/'/g, "''")}'`).join(',')}]`;
/** A deterministic pseudo-random bigint in [0, 2^63) for row expression `x` and a salt. */
const h = (x: string, salt: number) => `abs(hashint8extended((${x})::bigint, ${salt}))`;
/** A deterministic pseudo-random float in [0, 1). */
const r = (x: string, salt: number) => `((${h(x, salt)} % 1000003) / 1000003.0)`;

export function seedSteps(scale: number): SeedStep[] {
  const c = seedCounts(scale);
  const U = c.users;
  const P = c.posts;
  const steps: SeedStep[] = [
    { label: 'clear demo tables', sql: `truncate ${demoTables.map((t) => `"${t}"`).join(', ')} restart identity cascade` },
    {
      label: `users (${U})`,
      sql: `insert into users (id, email, username, name)
        select g, 'user' || g || '@example.com', 'user' || g,
               case when ${h('g', 1)} % 5 = 0 then null
                    else (${sqlArray(firstNames)})[1 + ${h('g', 2)} % ${firstNames.length}] || ' ' || (${sqlArray(lastNames)})[1 + ${h('g', 3)} % ${lastNames.length}] end
          from generate_series(1, ${U}) g`,
    },
    {
      label: 'profiles (80% of users)',
      sql: `insert into profiles (id, bio, location, user_id)
        select row_number() over (order by g), 'Bio of user ' || g,
               case when ${h('g', 5)} % 3 = 0 then null else 'City ' || (1 + ${h('g', 6)} % 40) end, g
          from generate_series(1, ${U}) g where ${h('g', 4)} % 10 < 8`,
    },
    {
      label: `posts (${P}, skewed: a few authors write most)`,
      // author = 1 + floor(U * r^3): 1% of users write about a fifth of all posts.
      sql: `insert into posts (id, title, content, created_at, user_id)
        select g, 'Post ' || g, 'Content of post ' || g || repeat(' lorem ipsum', (${h('g', 7)} % 20)::int),
               timestamptz '2025-01-01 00:00:00+00' + (${h('g', 8)} % 31536000) * interval '1 second',
               1 + floor(${U} * power(${r('g', 9)}, 3))::int
          from generate_series(1, ${P}) g`,
    },
    {
      label: `comments, top level (${c.topComments})`,
      sql: `insert into comments (id, content, created_at, post_id, user_id, parent_id)
        select g, 'Comment ' || g, timestamptz '2025-01-01 00:00:00+00' + (${h('g', 10)} % 31536000) * interval '1 second',
               1 + floor(${P} * power(${r('g', 11)}, 2))::int, 1 + floor(${U} * power(${r('g', 12)}, 2))::int, null
          from generate_series(1, ${c.topComments}) g`,
    },
  ];
  let previousBase = 0;
  let previousCount = c.topComments;
  let base = c.topComments;
  c.replyLevels.forEach((count, level) => {
    steps.push({
      label: `comment replies, depth ${level + 1} (${count})`,
      // Each reply picks a parent among the previous level and inherits its post.
      sql: `insert into comments (id, content, created_at, post_id, user_id, parent_id)
        select ${base} + g, 'Reply ' || (${base} + g), parent.created_at + (1 + ${h('g', 20 + level)} % 86400) * interval '1 second',
               parent.post_id, 1 + floor(${U} * power(${r('g', 30 + level)}, 2))::int, parent.id
          from generate_series(1, ${count}) g
          join comments parent on parent.id = ${previousBase} + 1 + ${h('g', 40 + level)} % ${previousCount}`,
    });
    previousBase = base;
    previousCount = count;
    base += count;
  });
  steps.push(
    {
      label: `categories (${categoryNames.length})`,
      sql: `insert into categories (id, name, description)
        select i, (${sqlArray(categoryNames.map((x) => x[0]!))})[i], (${sqlArray(categoryNames.map((x) => x[1]!))})[i]
          from generate_series(1, ${categoryNames.length}) i`,
    },
    {
      label: 'post categories (0-5 per post)',
      sql: `insert into post_categories (post_id, category_id, created_at)
        select p.id, 1 + ${h('p.id * 8 + j', 50)} % ${categoryNames.length}, p.created_at
          from posts p cross join generate_series(0, 4) j
         where j < ${h('p.id', 51)} % 6
        on conflict do nothing`,
    },
    {
      label: `teams (${c.teams}, 1-50 members each)`,
      sql: `insert into teams (id, name) select t, 'Team ' || t from generate_series(1, ${c.teams}) t`,
    },
    {
      label: 'team members (user_team pivot)',
      sql: `insert into user_team (user_id, team_id)
        select 1 + ${h('t * 64 + j', 60)} % ${U}, t
          from generate_series(1, ${c.teams}) t cross join generate_series(0, 49) j
         where j <= ${h('t', 61)} % 50
        on conflict do nothing`,
    },
    {
      label: 'memberships (with roles)',
      sql: `insert into memberships (user_id, team_id, role)
        select distinct on (1 + ${h('t * 64 + j', 60)} % ${U}, t) 1 + ${h('t * 64 + j', 60)} % ${U}, t,
               case when j = 0 then 'owner' when j < 3 then 'admin' else 'member' end
          from generate_series(1, ${c.teams}) t cross join generate_series(0, 49) j
         where j <= ${h('t', 61)} % 50
         order by 1 + ${h('t * 64 + j', 60)} % ${U}, t, j`,
    },
    {
      label: 'sequences',
      sql: ['users', 'profiles', 'posts', 'comments', 'categories', 'teams']
        .map((t) => `select setval(pg_get_serial_sequence('${t}', 'id'), greatest(1, (select coalesce(max(id), 0) from "${t}")))`)
        .join(';\n'),
    },
    { label: 'analyze', sql: `analyze ${demoTables.map((t) => `"${t}"`).join(', ')}` },
  );
  return steps;
}

export interface SeedProgress {
  (done: number, total: number, label: string): void;
}

/** Runs the seed in one transaction (the analyze after it); returns rows per demo table. */
export async function seedDemo(client: pg.ClientBase, scale: number, progress?: SeedProgress): Promise<Record<string, number>> {
  if (!(scale > 0) || scale > 1000) throw new RangeError(`scale must be > 0 and <= 1000, got ${scale}`);
  const steps = seedSteps(scale);
  const analyze = steps.pop()!;
  await client.query('begin');
  try {
    for (const [i, step] of steps.entries()) {
      progress?.(i, steps.length + 1, step.label);
      await client.query(step.sql);
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
  progress?.(steps.length, steps.length + 1, analyze.label);
  await client.query(analyze.sql);
  progress?.(steps.length + 1, steps.length + 1, 'done');
  return countRows(client, [...demoTables]);
}

/** Exact row counts of demo tables (plain names), by name. */
export async function countRows(client: pg.ClientBase, tables: string[]): Promise<Record<string, number>> {
  const counts = await countRowsOf(client, tables.map((t) => `"${t.replace(/"/g, '""')}"`));
  return Object.fromEntries(tables.map((t, i) => [t, counts[i]!]));
}

/** Exact row counts, in one round trip, of tables given as already-quoted SQL names. */
export async function countRowsOf(client: pg.ClientBase, quotedNames: string[]): Promise<number[]> {
  if (quotedNames.length === 0) return [];
  const sql = quotedNames.map((t, i) => `select ${i} as i, count(*)::bigint as n from ${t}`).join(' union all ');
  const { rows } = await client.query<{ i: number; n: string }>(sql);
  const out = new Array<number>(quotedNames.length).fill(0);
  for (const row of rows) out[row.i] = Number(row.n);
  return out;
}
