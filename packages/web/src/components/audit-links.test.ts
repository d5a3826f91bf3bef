import { describe, expect, it } from 'vitest';
import { resourcePage } from './AuditList';

describe('audit records link to their pages', () => {
  it('maps each resource type the API records to its page', () => {
    expect(resourcePage({ resourceType: 'deployment', resourceId: '01abc' })).toBe('/deployments/01abc');
    expect(resourcePage({ resourceType: 'flag', resourceId: 'shop/new-checkout' })).toBe('/projects/shop/flags/new-checkout');
    expect(resourcePage({ resourceType: 'release', resourceId: 'shop@2.0.1+build.1' })).toBe('/projects/shop/releases/2.0.1%2Bbuild.1');
    expect(resourcePage({ resourceType: 'environment', resourceId: 'staging' })).toBe('/settings/environments/staging');
    expect(resourcePage({ resourceType: 'token', resourceId: '01xyz' })).toBeNull();
  });
});
