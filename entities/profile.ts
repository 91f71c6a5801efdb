import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { User } from './user.ts';

/** One profile per user: profiles.user_id is unique and not null, deleted with its user. */
export const Profile = defineEntity({
  name: 'Profile',
  tableName: 'profiles',
  properties: {
    id: p.integer().primary(),
    bio: p.text().nullable(),
    location: p.string().length(100).nullable(),
    user: () => p.oneToOne(User).inversedBy('profile').owner().unique().deleteRule('cascade'),
  },
});

export type IProfile = InferEntity<typeof Profile>;
