import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { User } from './user.ts';
import { Membership } from './membership.ts';

/** A team: users join it through the plain user_team pivot and through Membership (with a role). */
export const Team = defineEntity({
  name: 'Team',
  tableName: 'teams',
  properties: {
    id: p.integer().primary(),
    name: p.string().length(100).unique(),
    users: () => p.manyToMany(User).mappedBy('teams'),
    memberships: () => p.oneToMany(Membership).mappedBy('team'),
  },
});

export type ITeam = InferEntity<typeof Team>;
