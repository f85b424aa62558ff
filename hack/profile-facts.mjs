// Print facts from profiles/*.toml for the hack/ scripts (one value per line), so recipes follow the profiles:
//   node hack/profile-facts.mjs arches            day0 arch names
//   node hack/profile-facts.mjs deb-arches        Debian arch names
//   node hack/profile-facts.mjs packages          builder packages (native) of every profile
//   node hack/profile-facts.mjs foreign-packages  foreign-arch packages unpacked into the builder
//   node hack/profile-facts.mjs arch DEB_ARCH     day0 arch of a Debian arch
//   node hack/profile-facts.mjs oci-platform ARCH linux/<oci_arch>[/<variant>] of one arch (day0 or Debian name)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import TOML from '@iarna/toml';

const dir = process.env.DAY0_PROFILES_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'profiles');
const profiles = readdirSync(dir).filter((f) => f.endsWith('.toml')).sort().map((f) => TOML.parse(readFileSync(join(dir, f), 'utf8')));
const [what, arg] = process.argv.slice(2);
const uniq = (xs) => [...new Set(xs)];
let out;
switch (what) {
  case 'arches': out = profiles.map((p) => p.arch); break;
  case 'deb-arches': out = profiles.map((p) => p.deb_arch); break;
  case 'packages': out = uniq(profiles.flatMap((p) => p.builder?.packages ?? [])); break;
  case 'foreign-packages': out = uniq(profiles.flatMap((p) => p.builder?.foreign_packages ?? [])); break;
  case 'arch': {
    const p = profiles.find((x) => x.arch === arg || x.deb_arch === arg);
    if (!p) { console.error(`no profile for ${arg}`); process.exit(1); }
    out = [p.arch];
    break;
  }
  case 'oci-platform': {
    const p = profiles.find((x) => x.arch === arg || x.deb_arch === arg);
    if (!p) { console.error(`no profile for ${arg}`); process.exit(1); }
    out = [`linux/${p.oci_arch}${p.oci_variant ? `/${p.oci_variant}` : ''}`];
    break;
  }
  default: console.error('usage: profile-facts.mjs arches|deb-arches|packages|foreign-packages|arch DEB_ARCH|oci-platform ARCH'); process.exit(2);
}
console.log(out.join('\n'));
