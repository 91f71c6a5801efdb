import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Post } from './post.ts';

/** A post category; posts reach it through PostCategory. */
export const Category = defineEntity({
  name: 'Category',
  tableName: 'categories',
  properties: {
    id: p.integer().primary(),
    name: p.string().length(50).unique(),
    description: p.text().nullable(),
    posts: () => p.manyToMany(Post).mappedBy('categories'),
  },
});

export type ICategory = InferEntity<typeof Category>;
