import { Cascade, defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { User } from './user.ts';
import { Comment } from './comment.ts';
import { Category } from './category.ts';
import { PostCategory } from './post-category.ts';

/** A post by one author; categorised through the PostCategory association entity. */
export const Post = defineEntity({
  name: 'Post',
  tableName: 'posts',
  properties: {
    id: p.integer().primary(),
    title: p.string().length(200),
    content: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    // posts.user_id, indexed: Postgres does not index foreign keys by itself.
    author: () => p.manyToOne(User).fieldName('user_id').deleteRule('cascade').index(),
    comments: () => p.oneToMany(Comment).mappedBy('post').cascade(Cascade.PERSIST, Cascade.REMOVE).orphanRemoval(),
    postCategories: () => p.oneToMany(PostCategory).mappedBy('post').cascade(Cascade.PERSIST, Cascade.REMOVE).orphanRemoval(),
    // Navigates through the association entity, so the pivot row can carry created_at.
    categories: () => p.manyToMany(Category).pivotEntity(() => PostCategory).inversedBy('posts'),
  },
});

export type IPost = InferEntity<typeof Post>;
