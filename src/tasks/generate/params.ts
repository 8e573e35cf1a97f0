/** The generate task's schema, limits and result types now live in the params/ leaf; this keeps the old path. */
export * from '../params/generate.js';
