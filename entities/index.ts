/** The demo model from the seeds: nine tables, every relationship kind. */
import { User } from './user.ts';
import { Profile } from './profile.ts';
import { Post } from './post.ts';
import { Team } from './team.ts';
import { Membership } from './membership.ts';
import { Category } from './category.ts';
import { PostCategory } from './post-category.ts';
import { Comment } from './comment.ts';

export { User, Profile, Post, Team, Membership, Category, PostCategory, Comment };
export const demoEntities = [User, Profile, Post, Team, Membership, Category, PostCategory, Comment];
