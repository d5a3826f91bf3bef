import { describe, expect, it } from 'vitest';

import { GitCommandError, pipeGit, redactCredentials, runGit } from './git-runner.js';

describe('redactCredentials', () => {
  it('hides userinfo in URLs and nothing else', () => {
    expect(redactCredentials("fatal: unable to access 'https://alice:s3cret@git.example.com/a.git/': 403")).toBe(
      "fatal: unable to access 'https://***@git.example.com/a.git/': 403",
    );
    expect(redactCredentials('https://x-access-token:ghs_abc@github.com/o/r.git')).toBe('https://***@github.com/o/r.git');
    expect(redactCredentials('https://tok@en@host/x')).toBe('https://***@host/x');
    expect(redactCredentials('ssh://git@host/x and git@github.com:o/r.git')).toBe('ssh://***@host/x and git@github.com:o/r.git');
    expect(redactCredentials('https://host/x mail a@b.c')).toBe('https://host/x mail a@b.c');
  });
});

describe('runGit', () => {
  it('runs git with an argument array and returns its output', async () => {
    const { stdout, exitCode } = await runGit(['--version']);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^git version/);
  });

  it('passes stdin and never interprets arguments through a shell', async () => {
    const { stdout } = await runGit(['hash-object', '--stdin'], { input: 'hello; rm -rf / $(whoami)\n' });
    expect(stdout.trim()).toMatch(/^[0-9a-f]{40}$/);
  });

  it('reports failures with redacted args and stderr, and never prompts for credentials', async () => {
    const error = await runGit(['ls-remote', 'https://alice:s3cret@127.0.0.1:9/repo.git']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitCommandError);
    const failure = error as GitCommandError;
    expect(failure.exitCode).not.toBe(0);
    expect(failure.args).toContain('https://***@127.0.0.1:9/repo.git');
    expect(`${failure.message} ${failure.stderr} ${failure.args.join(' ')}`).not.toContain('s3cret');
    expect(failure.gitMessage).toMatch(/^fatal:/);
  });

  it('accepts listed exit codes as answers', async () => {
    const { exitCode } = await runGit(['config', '--file', '/dev/null', '--get', 'no.such'], { okExitCodes: [1] });
    expect(exitCode).toBe(1);
  });

  it('kills git and everything it started when the time limit passes', async () => {
    const started = Date.now();
    const error = await runGit(['-c', 'alias.wait=!sleep 10', 'wait'], { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitCommandError);
    expect((error as GitCommandError).timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('pipeGit', () => {
  it('pipes one git into another', async () => {
    const { stdout } = await pipeGit(['version'], ['hash-object', '--stdin']);
    expect(stdout.trim()).toMatch(/^[0-9a-f]{40}$/);
  });

  it('fails when either side fails', async () => {
    await expect(pipeGit(['no-such-command'], ['hash-object', '--stdin'])).rejects.toBeInstanceOf(GitCommandError);
    await expect(pipeGit(['version'], ['no-such-command'])).rejects.toBeInstanceOf(GitCommandError);
  });
});
