import { describe, expect, it } from 'vitest';
import { NameBook, nameOf } from '../../connector/engine/focus/names.js';

describe('spend names (engine/focus/names.ts)', () => {
  it('given listed names when looking ids up then each id has its own name, an unlisted id or a kind not read has null, never a guess', () => {
    const book = new NameBook();
    book.add('subAccounts', 'proj_1', 'Production');
    book.add('subAccounts', 'proj_2', 'Production');
    book.add('apiKeys', 'key_1', '研究チーム 🚀');
    const names = book.result;
    expect(nameOf(names, 'subAccounts', 'proj_1')).toBe('Production');
    expect(nameOf(names, 'subAccounts', 'proj_2')).toBe('Production');
    expect(nameOf(names, 'apiKeys', 'key_1')).toBe('研究チーム 🚀');
    expect(nameOf(names, 'apiKeys', 'key_deleted')).toBeNull();
    expect(nameOf(names, 'users', 'key_1')).toBeNull();
    expect(nameOf(names, 'subAccounts', null)).toBeNull();
    expect(nameOf(undefined, 'subAccounts', 'proj_1')).toBeNull();
  });

  it('given blank names, a repeated id and ids that are Object property names when collected then blanks are null, the first name wins, and no prototype name leaks', () => {
    const book = new NameBook();
    book.add('users', 'u1', '   ');
    book.add('users', 'u2', null);
    book.add('users', 'u3', 'First');
    book.add('users', 'u3', 'Second');
    book.add('users', '__proto__', 'Proto');
    const names = structuredClone(book.result);
    expect(nameOf(names, 'users', 'u1')).toBeNull();
    expect(nameOf(names, 'users', 'u2')).toBeNull();
    expect(nameOf(names, 'users', 'u3')).toBe('First');
    expect(nameOf(names, 'users', 'toString')).toBeNull();
    expect(nameOf(names, 'users', 'constructor')).toBeNull();
    expect(Object.keys(book.result.users ?? {})).toEqual(['u3', '__proto__']);
  });
});
