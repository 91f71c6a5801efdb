import { Cascade, defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Profile } from './profile.ts';
import { Post } from './post.ts';
import { Team } from './team.ts';
import { Membership } from './membership.ts';
import { Comment } from './comment.ts';

/** A person: owns posts and comments, has one profile, joins teams two ways (plain pivot and Membership). */
export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.integer().primary(),
    email: p.string().length(255).unique(),
    username: p.string().length(50).unique(),
    name: p.string().length(100).nullable(),
    // Inverse side of the 1:1; the FK (profiles.user_id) lives on Profile.
    profile: () => p.oneToOne(Profile).mappedBy('user').nullable(),
    // The seeds' cascade="all, delete-orphan": persist/remove cascade and orphan removal.
    posts: () => p.oneToMany(Post).mappedBy('author').cascade(Cascade.PERSIST, Cascade.REMOVE).orphanRemoval(),
    comments: () => p.oneToMany(Comment).mappedBy('user'),
    // Plain many-to-many through a pivot table with no entity class (the seeds' user_team).
    teams: () => p.manyToMany(Team).pivotTable('user_team').joinColumn('user_id').inverseJoinColumn('team_id').inversedBy('users'),
    // The association-object form of the same idea, with a role.
    memberships: () => p.oneToMany(Membership).mappedBy('user'),
  },
});

export type IUser = InferEntity<typeof User>;
