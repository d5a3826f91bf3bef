import { describe, expect, it } from 'vitest';
import { hasRedactedCredentials, originOf, remoteForGit, shownUsername, splitRepositoryUrl } from './repository-url.js';

describe('repository URLs with credentials', () => {
  it('seals the whole userinfo of http(s) URLs and shows the password as ***', () => {
    expect(splitRepositoryUrl('https://alice:p%40ss@git.example.com/shop.git')).toEqual({ shown: 'https://alice:***@git.example.com/shop.git', credentials: { username: 'alice', password: 'p@ss' } });
    expect(splitRepositoryUrl('https://ghp_token123@github.com/o/r.git')).toEqual({ shown: 'https://***@github.com/o/r.git', credentials: { username: 'ghp_token123', password: '' } });
    expect(splitRepositoryUrl('https://git.example.com/shop.git')).toEqual({ shown: 'https://git.example.com/shop.git', credentials: null });
    expect(splitRepositoryUrl('git@github.com:o/r.git')).toEqual({ shown: 'git@github.com:o/r.git', credentials: null });
    expect(splitRepositoryUrl('ssh://git@host/r.git')).toEqual({ shown: 'ssh://git@host/r.git', credentials: null });
    expect(splitRepositoryUrl('/srv/git/r.git')).toEqual({ shown: '/srv/git/r.git', credentials: null });
    expect(splitRepositoryUrl('ssh://git:secret@host/r.git')).toHaveProperty('problem');
    // Sent back as shown: nothing new to seal.
    expect(splitRepositoryUrl('https://alice:***@git.example.com/shop.git')).toEqual({ shown: 'https://alice:***@git.example.com/shop.git', credentials: null });
  });

  it('gives git the URL without userinfo and compares origins and users of shown URLs', () => {
    expect(remoteForGit('https://alice:***@git.example.com:8443/shop.git')).toBe('https://git.example.com:8443/shop.git');
    expect(remoteForGit('ssh://git@host/r.git')).toBe('ssh://git@host/r.git');
    expect(hasRedactedCredentials('https://alice:***@h/r.git')).toBe(true);
    expect(hasRedactedCredentials('https://***@h/r.git')).toBe(true);
    expect(hasRedactedCredentials('https://h/r.git')).toBe(false);
    expect(originOf('https://alice:***@h:8443/r.git')).toBe('https://h:8443');
    expect(originOf('/srv/r.git')).toBeNull();
    expect(shownUsername('https://alice:***@h/r.git')).toBe('alice');
    expect(shownUsername('https://***@h/r.git')).toBeNull();
  });
});
