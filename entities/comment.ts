import { Cascade, defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { User } from './user.ts';
import { Post } from './post.ts';

/** A comment on a post; replies form a tree through the self-referencing parent. */
export const Comment = defineEntity({
  name: 'Comment',
  tableName: 'comments',
  properties: {
    id: p.integer().primary(),
    content: p.text(),
    createdAt: p.datetime().defaultRaw('now()'),
    post: () => p.manyToOne(Post).deleteRule('cascade').index(),
    user: () => p.manyToOne(User).deleteRule('cascade').index(),
    parent: () => p.manyToOne(Comment).nullable().deleteRule('cascade').index(),
    replies: () => p.oneToMany(Comment).mappedBy('parent').cascade(Cascade.PERSIST, Cascade.REMOVE).orphanRemoval(),
  },
});

export type IComment = InferEntity<typeof Comment>;
