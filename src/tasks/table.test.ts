import { describe, expect, it } from 'vitest';
import { TASK_NAMES } from './names.js';
import { TASKS, taskDefinition } from './table.js';

describe('the task table', () => {
  it('holds exactly the tasks of names.ts, each under its own name', () => {
    expect(Object.keys(TASKS).sort()).toEqual([...TASK_NAMES].sort());
    for (const task of TASK_NAMES) expect(taskDefinition(task)?.name).toBe(task);
  });

  it('knows no other name, inherited ones included', () => {
    for (const name of ['caption', 'Detect', 'toString', '__proto__', '']) expect(taskDefinition(name)).toBeUndefined();
  });
});
