import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { User } from './user.ts';
import { Team } from './team.ts';

/** Association entity: a user's membership of a team with a role; composite primary key (user_id, team_id). */
export const Membership = defineEntity({
  name: 'Membership',
  tableName: 'memberships',
  properties: {
    user: () => p.manyToOne(User).primary().deleteRule('cascade'),
    team: () => p.manyToOne(Team).primary().deleteRule('cascade').index(),
    role: p.string().length(30).default('member'),
  },
});

export type IMembership = InferEntity<typeof Membership>;
