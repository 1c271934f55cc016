// Reads one static pod of a topology: a Kubernetes Pod object, plus kubewire's annotations for a
// fixed IP/MAC. Only the fields the runtime uses are checked; the object is kept as written.
import { cidrContains, cidrSize, formatIpv4, parseIpv4, type Cidr } from '../net/ipv4.js';
import type { FieldReader, Plain } from './field-reader.js';
import { ANNOTATION_IP, ANNOTATION_MAC, BUILTIN_IMAGES, type ContainerSpec, type PodSpec } from './types.js';
import { DNS1123_LABEL as DNS_LABEL_RE } from '../names.js';

/** DNS-1123 label, as Kubernetes requires for pod and namespace names. */
export { DNS_LABEL_RE };
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parsePodManifest(p: FieldReader, subnet: Cidr): PodSpec {
  p.object();
  const apiVersion = p.child('apiVersion').string({ optional: true });
  if (apiVersion && apiVersion !== 'v1') p.child('apiVersion').fail('must be v1');
  const kind = p.child('kind').string({ optional: true });
  if (kind && kind !== 'Pod') p.child('kind').fail('must be Pod');
  const meta = p.child('metadata').object();
  const label = {
    pattern: DNS_LABEL_RE,
    describe: 'is not a valid Kubernetes name (lowercase letters, digits and -, at most 63)',
  };
  const name = meta.child('name').string(label);
  const namespace = meta.child('namespace').string({ ...label, optional: true }) || 'default';
  const annotations = meta.child('annotations');
  if (annotations.present) annotations.object();
  const pod: PodSpec = { namespace, name, containers: [], manifest: p.value as Plain };

  const ipField = annotations.child(ANNOTATION_IP);
  if (ipField.present) {
    const ip = ipField.parsed(parseIpv4)!;
    const sub = `${formatIpv4(subnet.network)}/${subnet.length}`;
    if (!cidrContains(subnet, ip)) ipField.fail(`${formatIpv4(ip)} is outside its node's subnet ${sub}`);
    if (ip === subnet.network || ip === subnet.network + 1 || ip === subnet.network + cidrSize(subnet) - 1) {
      ipField.fail(`${formatIpv4(ip)} is reserved in ${sub} (.0 is flannel.1, .1 is cni0, the last is broadcast)`);
    }
    pod.ip = formatIpv4(ip);
  }
  const macField = annotations.child(ANNOTATION_MAC);
  if (macField.present) {
    pod.mac = macField.string({
      pattern: /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/,
      describe: 'must be a lowercase MAC address',
    });
    if (parseInt(pod.mac.slice(0, 2), 16) & 1)
      macField.fail('must be a unicast MAC (lowest bit of the first byte clear)');
  }

  const spec = p.child('spec').object();
  const containers = spec.child('containers').list();
  if (containers.length === 0) spec.child('containers').fail('must list at least one container');
  const seen = new Set<string>();
  for (const c of containers) {
    c.object();
    const cname = c.child('name').string(label);
    if (seen.has(cname)) c.child('name').fail(`duplicate container name ${cname}`);
    seen.add(cname);
    const image = c
      .child('image')
      .string({ pattern: /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/, describe: 'is not a valid image reference' });
    const container: ContainerSpec = { name: cname, image };
    const command = c.child('command').stringList();
    const args = c.child('args').stringList();
    if (command) container.command = command;
    if (args) container.args = args;
    const bare = image.replace(/^.*\//, '').replace(/[:@].*$/, '');
    if (!command && !(BUILTIN_IMAGES as readonly string[]).includes(bare)) {
      c.child('image').fail(
        `unknown image ${JSON.stringify(image)}: built-in images are ${BUILTIN_IMAGES.join(', ')}; any other image needs a command`,
      );
    }
    if (command && command.length === 0) c.child('command').fail('must not be empty');
    if (command && !/^[A-Za-z0-9_./+-]+$/.test(command[0]!))
      c.child('command').child(0).fail('must be a program name or path');
    const env = c
      .child('env')
      .list()
      .map((e) => {
        e.object(['name', 'value']);
        return {
          name: e.child('name').string({ pattern: ENV_NAME_RE, describe: 'is not a valid environment variable name' }),
          value: String(e.child('value').value ?? ''),
        };
      });
    if (env.length) container.env = env;
    pod.containers.push(container);
  }
  return pod;
}
