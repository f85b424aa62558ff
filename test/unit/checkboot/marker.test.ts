import { describe, expect, it } from 'vitest';
import { checkScript, markerFragment, newMarker } from '../../../src/checkboot/marker.js';
import { kargsFromIpxe } from '../../../src/checkboot/kargs.js';
import { ipxeWithIgnition } from '../../../src/checkboot/prepare.js';

describe('boot-check marker', () => {
  it('uses a fresh nonce per run', () => {
    const a = newMarker();
    const b = newMarker();
    expect(a.nonce).not.toEqual(b.nonce);
    expect(a.ok).toBe(`DAY0-BOOT-CHECK ${a.nonce} OK`);
  });

  it('checks expected files and units, reporting OK or FAIL with the problems', () => {
    const m = newMarker();
    const s = checkScript(m, { files: ['/etc/ipsec.d/x.conf'], units: ['sshd.service'] }, 'ttyS0');
    expect(s).toContain("[ -e '/etc/ipsec.d/x.conf' ] || problems=\"$problems missing-file:/etc/ipsec.d/x.conf\"");
    expect(s).toContain("systemctl is-active --quiet 'sshd.service'");
    expect(s).toContain(`msg='${m.ok}'`);
    expect(s).toContain(`msg="${m.fail}$problems"`);
    expect(s).toContain('> /dev/ttyS0');
  });

  it('builds an Ignition fragment with spec-3.0 fields only, ordering after expected units', () => {
    const f = markerFragment(newMarker(), { files: [], units: ['ipsec.service'] }, 'ttyS0');
    const file = f.storage.files[0] as { path: string; mode: number; contents: { source: string } };
    expect(file.path).toBe('/etc/day0/boot-check.sh');
    expect(file.mode).toBe(0o755);
    expect(file.contents.source.startsWith('data:,')).toBe(true);
    const unit = f.systemd.units[0] as { name: string; enabled: boolean; contents: string };
    expect(unit).toMatchObject({ name: 'day0-boot-check.service', enabled: true });
    expect(unit.contents).toContain('After=systemd-user-sessions.service ipsec.service');
    expect(unit.contents).toContain('WantedBy=multi-user.target');
  });

  it('refuses expectations that could break out of the script', () => {
    expect(() => markerFragment(newMarker(), { files: ["/etc/x'; reboot; '"], units: [] }, 'ttyS0')).toThrow(/not a plain absolute path/);
    expect(() => markerFragment(newMarker(), { files: [], units: ['sshd'] }, 'ttyS0')).toThrow(/not a systemd unit name/);
  });

  it('reads kernel arguments from an iPXE script and adds a missing Ignition initrd', () => {
    const script = '#!ipxe\nkernel k initrd=i.img initrd=r.img ignition.firstboot console=ttyS0\ninitrd --name i.img i.img\ninitrd --name r.img r.img\nboot\n';
    expect(kargsFromIpxe(script)).toBe('ignition.firstboot console=ttyS0');
    const withIgn = ipxeWithIgnition(script, 'ign.img');
    expect(withIgn).toContain('kernel k initrd=ign.img initrd=i.img');
    expect(withIgn).toContain('initrd --name ign.img ign.img\nboot');
    expect(ipxeWithIgnition(withIgn, 'ign.img')).toBe(withIgn);
  });
});
