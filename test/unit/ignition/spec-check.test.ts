import { describe, expect, it } from 'vitest';
import { checkSpecAgainstImage, ignitionParsesSpec, maxSpecForIgnition } from '../../../src/ignition/spec-check.js';
import { Day0Error } from '../../../src/util/errors.js';

describe('maxSpecForIgnition', () => {
  it.each([
    ['2.0.0', '3.0.0'],
    ['2.2.1', '3.0.0'],
    ['2.3.0', '3.1.0'],
    ['2.7.0', '3.2.0'],
    ['2.10.1', '3.2.0'],
    ['2.11.0', '3.3.0'],
    ['2.14.0+ds1-1+b6', '3.3.0'], // Debian's version string
    ['2.15.0', '3.4.0'],
    ['2.19.0-1.fc40', '3.4.0'],
    ['2.20.0', '3.5.0'],
    ['v2.25.1', '3.5.0'],
    ['2.26.0', '3.6.0'],
    ['2.30', '3.6.0'],
  ])('Ignition %s parses up to spec %s', (ignition, spec) => expect(maxSpecForIgnition(ignition)).toBe(spec));

  it('explains that Ignition 0.x cannot read spec 3', () => {
    expect(() => maxSpecForIgnition('0.35.0')).toThrow(/only parses spec 1 and 2.x configs/);
  });

  it('rejects a version it cannot read', () => {
    expect(() => maxSpecForIgnition('latest')).toThrow(Day0Error);
  });
});

describe('ignitionParsesSpec', () => {
  it('accepts older stable specs and only the experimental spec a release ships', () => {
    expect(ignitionParsesSpec('3.0.0', '2.14.0')).toBe(true);
    expect(ignitionParsesSpec('3.4.0', '2.14.0')).toBe(false);
    expect(ignitionParsesSpec('3.4.0-experimental', '2.14.0')).toBe(true);
    expect(ignitionParsesSpec('3.4.0-experimental', '2.15.0')).toBe(false);
    expect(ignitionParsesSpec('3.7.0-experimental', '2.26.0')).toBe(true);
    expect(ignitionParsesSpec('3.7.0-experimental', '2.25.1')).toBe(false);
    expect(ignitionParsesSpec('3.9.0', '2.26.0')).toBe(false);
  });
});

describe('checkSpecAgainstImage', () => {
  it('passes when the image can parse the config', () => {
    expect(checkSpecAgainstImage('3.3.0', '2.14.0', { mode: 'on' })).toBeUndefined();
    expect(checkSpecAgainstImage('3.0.0', '2.20.0', { mode: 'on' })).toBeUndefined();
  });

  it('names both versions and the highest spec that works', () => {
    try {
      checkSpecAgainstImage('3.4.0', '2.14.0', { mode: 'on' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(Day0Error);
      expect((err as Day0Error).message).toBe("Ignition config spec 3.4.0 is newer than the image's Ignition 2.14.0 can parse (highest: 3.3.0)");
      expect((err as Day0Error).fix).toBe('write the config as spec 3.3.0 or lower, or pass --ignition-spec-check=off');
    }
  });

  it('explains experimental specs', () => {
    expect(() => checkSpecAgainstImage('3.7.0-experimental', '2.20.0', { mode: 'on' })).toThrow(
      /experimental and only parsed by Ignition 2\.26\.0 and later releases until it is stabilized; the image has Ignition 2\.20\.0 \(highest: 3\.5\.0\)/,
    );
  });

  it('only warns with --ignition-spec-check=off', () => {
    expect(checkSpecAgainstImage('3.4.0', '2.14.0', { mode: 'off' })).toBe(
      "Ignition config spec 3.4.0 is newer than the image's Ignition 2.14.0 can parse (highest: 3.3.0); continuing because --ignition-spec-check=off",
    );
  });

  it('warns when the image does not say which Ignition it has', () => {
    expect(checkSpecAgainstImage('3.3.0', undefined, { mode: 'on' })).toMatch(/Ignition version is unknown/);
  });

  it('handles images with Ignition older than 2.0', () => {
    expect(() => checkSpecAgainstImage('3.0.0', '0.35.0', { mode: 'on' })).toThrow(/only reads spec 1 and 2\.x configs/);
  });
});
