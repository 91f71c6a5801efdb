import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Post } from './post.ts';
import { Category } from './category.ts';

/** Association entity between Post and Category, carrying when the post was filed there. */
export const PostCategory = defineEntity({
  name: 'PostCategory',
  tableName: 'post_categories',
  properties: {
    post: () => p.manyToOne(Post).primary().deleteRule('cascade'),
    category: () => p.manyToOne(Category).primary().deleteRule('cascade').index(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});

export type IPostCategory = InferEntity<typeof PostCategory>;
