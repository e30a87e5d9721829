"""Regenerates sim/cluster/src/api/openapi_schemas.json: OpenAPI v3 component schemas of the
kinds the simulated cluster serves, from the k8s.io/api Go types (the source openapi-gen reads):
descriptions from the doc comments, JSON names and types, patch tags and list markers.

Run in a directory holding the Go files, named <group>_<version>_types.go, taken from
k8s.io/api v0.33.9 (`git show v0.33.9:core/v1/types.go > core_v1_types.go`, likewise apps,
batch, rbac, policy, admissionregistration, coordination, events, autoscaling, authentication,
authorization) and meta_v1_types.go from k8s.io/apimachinery v0.33.9
pkg/apis/meta/v1/types.go; it writes schemas.json there.
"""
import re, glob, json, sys
PKG = {'core_v1': 'io.k8s.api.core.v1', 'apps_v1': 'io.k8s.api.apps.v1', 'batch_v1': 'io.k8s.api.batch.v1',
       'rbac_v1': 'io.k8s.api.rbac.v1', 'policy_v1': 'io.k8s.api.policy.v1',
       'admissionregistration_v1': 'io.k8s.api.admissionregistration.v1',
       'coordination_v1': 'io.k8s.api.coordination.v1', 'events_v1': 'io.k8s.api.events.v1',
       'autoscaling_v1': 'io.k8s.api.autoscaling.v1', 'meta_v1': 'io.k8s.apimachinery.pkg.apis.meta.v1',
       'authentication_v1': 'io.k8s.api.authentication.v1', 'authorization_v1': 'io.k8s.api.authorization.v1'}
GROUP = {'core_v1': '', 'apps_v1': 'apps', 'batch_v1': 'batch', 'rbac_v1': 'rbac.authorization.k8s.io',
         'policy_v1': 'policy', 'admissionregistration_v1': 'admissionregistration.k8s.io',
         'coordination_v1': 'coordination.k8s.io', 'events_v1': 'events.k8s.io', 'autoscaling_v1': 'autoscaling',
         'authentication_v1': 'authentication.k8s.io', 'authorization_v1': 'authorization.k8s.io'}
files = {f[:-len('_types.go')]: open(f).read() for f in glob.glob('*_types.go')}
structs, aliases = {}, {}
def doc(lines):
    out, para = [], []
    for l in lines:
        t = l.strip()
        if t.startswith('//'):
            t = t[2:]
            if t.startswith(' '): t = t[1:]
        if t.startswith('+') or t.startswith('TODO'):
            continue
        if t == '---':
            break
        if t == '':
            if para: out.append(' '.join(para)); para = []
        else:
            para.append(t.strip())
    if para: out.append(' '.join(para))
    return '\n\n'.join(out)
field_re = re.compile(r"^\s*(?:(\w+)\s+)?([\w\.\*\[\]]+)\s+`([^`]*)`")
for fname, src in files.items():
    lines = src.split('\n')
    i = 0
    while i < len(lines):
        l = lines[i]
        m = re.match(r'^type (\w+) struct \{\s*$', l)
        m2 = re.match(r'^type (\w+) (\S+)\s*$', l)
        # collect preceding comment
        j = i - 1; com = []
        while j >= 0 and lines[j].startswith('//'):
            com.insert(0, lines[j]); j -= 1
        if m:
            name = m.group(1); fields = []; fcom = []
            i += 1
            while not lines[i].startswith('}'):
                fl = lines[i]
                if fl.strip().startswith('//'):
                    fcom.append(fl); i += 1; continue
                fm = field_re.match(fl)
                if fm:
                    gname, gtype, tags = fm.groups()
                    jm = re.search(r'json:"([^"]*)"', tags)
                    if jm and jm.group(1).split(',')[0] != '-':
                        jn = jm.group(1).split(',')[0]
                        s = re.search(r'patchStrategy:"([^"]*)"', tags)
                        k = re.search(r'patchMergeKey:"([^"]*)"', tags)
                        lt = None
                        lmk = []
                        for c in fcom:
                            mm = re.search(r'\+listType=(\w+)', c)
                            if mm: lt = mm.group(1)
                            mm = re.search(r'\+listMapKey=(\w+)', c)
                            if mm: lmk.append(mm.group(1))
                        fields.append(dict(json=jn, type=gtype, inline=',inline' in jm.group(1),
                            strategy=s.group(1) if s else '', key=k.group(1) if k else '', doc=doc(fcom), listType=lt, listMapKeys=lmk,
                            optional=any('+optional' in c for c in fcom) or 'omitempty' in jm.group(1)))
                fcom = []
                i += 1
            structs[(fname, name)] = dict(doc=doc(com), fields=fields)
        elif m2 and m2.group(2) not in ('struct', '=') and not m2.group(2).startswith('('):
            aliases[(fname, m2.group(1))] = m2.group(2)
        i += 1
SCALARS = {'string': {'type': 'string'}, 'bool': {'type': 'boolean'}, 'int32': {'type': 'integer', 'format': 'int32'},
           'int64': {'type': 'integer', 'format': 'int64'}, 'int': {'type': 'integer', 'format': 'int32'},
           'float64': {'type': 'number', 'format': 'double'}, 'uint64': {'type': 'integer', 'format': 'int64'},
           'byte': {'type': 'integer'}}
SPECIAL = {'resource.Quantity': 'io.k8s.apimachinery.pkg.api.resource.Quantity',
           'intstr.IntOrString': 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
           'metav1.Time': 'io.k8s.apimachinery.pkg.apis.meta.v1.Time', 'Time': 'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
           'metav1.MicroTime': 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime', 'MicroTime': 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
           'runtime.RawExtension': 'io.k8s.apimachinery.pkg.runtime.RawExtension', 'metav1.Duration': None, 'types.UID': None,
           'FieldsV1': 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1'}
SPECIAL_SCHEMAS = {
 'io.k8s.apimachinery.pkg.api.resource.Quantity': {'description': 'Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.', 'oneOf': [{'type': 'string'}, {'type': 'number'}]},
 'io.k8s.apimachinery.pkg.util.intstr.IntOrString': {'description': 'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.', 'format': 'int-or-string', 'type': 'string'},
 'io.k8s.apimachinery.pkg.apis.meta.v1.Time': {'description': 'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.', 'format': 'date-time', 'type': 'string'},
 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': {'description': 'MicroTime is version of Time with microsecond level precision.', 'format': 'date-time', 'type': 'string'},
 'io.k8s.apimachinery.pkg.runtime.RawExtension': {'description': 'RawExtension is used to hold extensions in external versions.', 'type': 'object'},
 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1': {'description': 'FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.', 'type': 'object'},
}
schemas = {}
def pkg_of(fname, qual):
    if qual is None: return fname
    return {'metav1': 'meta_v1', 'v1': 'core_v1', 'corev1': 'core_v1', 'core': 'core_v1', 'authenticationv1': 'authentication_v1'}.get(qual)
def type_schema(fname, gtype):
    t = gtype.lstrip('*')
    if t == '[]byte': return {'type': 'string', 'format': 'byte'}
    if t.startswith('[]'):
        return {'type': 'array', 'items': type_schema(fname, t[2:])}
    if t.startswith('map['):
        return {'type': 'object', 'additionalProperties': type_schema(fname, t.split(']', 1)[1])}
    if t in SCALARS: return dict(SCALARS[t])
    if t in SPECIAL or (fname == 'meta_v1' and t in SPECIAL):
        ref = SPECIAL[t]
        if ref is None: return {'type': 'string'}
        schemas[ref] = SPECIAL_SCHEMAS[ref]
        return {'$ref': '#/components/schemas/' + ref}
    qual, name = (t.split('.', 1) if '.' in t else (None, t))
    p = pkg_of(fname, qual)
    if p is None: return {'type': 'string'} if qual in ('types',) else {'type': 'object'}
    if (p, name) in aliases:
        return type_schema(p, aliases[(p, name)])
    if (p, name) in structs:
        ref = PKG[p] + '.' + name
        build(p, name)
        return {'$ref': '#/components/schemas/' + ref}
    if name in SCALARS: return dict(SCALARS[name])
    return {'type': 'object'}
def props_of(p, name, props, required):
    st = structs[(p, name)]
    for f in st['fields']:
        if f['inline']:
            t = f['type'].lstrip('*'); qual, n = (t.split('.', 1) if '.' in t else (None, t))
            q = pkg_of(p, qual)
            if n in ('TypeMeta',):
                props['apiVersion'] = {'description': 'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources', 'type': 'string'}
                props['kind'] = {'description': 'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds', 'type': 'string'}
            elif (q, n) in structs:
                props_of(q, n, props, required)
            continue
        s = type_schema(p, f['type'])
        if '$ref' in s:
            s = {'allOf': [s]}
        if f['doc']: s['description'] = f['doc']
        if f['strategy']: s['x-kubernetes-patch-strategy'] = f['strategy']
        if f['key']: s['x-kubernetes-patch-merge-key'] = f['key']
        if f['listType']: s['x-kubernetes-list-type'] = f['listType']
        if f['listType'] == 'map' and f['listMapKeys']: s['x-kubernetes-list-map-keys'] = f['listMapKeys']
        props[f['json']] = s
        if not f['optional']: required.append(f['json'])
def build(p, name):
    ref = PKG[p] + '.' + name
    if ref in schemas: return
    schemas[ref] = {}
    props, required = {}, []
    props_of(p, name, props, required)
    sch = {'description': structs[(p, name)]['doc'], 'type': 'object', 'properties': props}
    if required: sch['required'] = required
    schemas[ref] = sch
ROOTS = [('core_v1', k) for k in ['Pod', 'Namespace', 'ConfigMap', 'Secret', 'Node', 'Event', 'Service', 'ServiceAccount',
         'LimitRange', 'ResourceQuota']] + [('apps_v1', k) for k in ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'ControllerRevision']] \
  + [('batch_v1', 'Job'), ('batch_v1', 'CronJob'), ('policy_v1', 'PodDisruptionBudget'), ('coordination_v1', 'Lease'),
     ('admissionregistration_v1', 'MutatingWebhookConfiguration'), ('events_v1', 'Event'), ('autoscaling_v1', 'Scale')] \
  + [('rbac_v1', k) for k in ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']] \
  + [('authentication_v1', 'TokenRequest'), ('authorization_v1', 'SelfSubjectAccessReview')]
for p, k in ROOTS:
    if (p, k) not in structs: print('missing', p, k, file=sys.stderr); continue
    build(p, k)
    schemas[PKG[p] + '.' + k]['x-kubernetes-group-version-kind'] = [{'group': GROUP[p], 'kind': k, 'version': 'v1'}]
json.dump(dict(sorted(schemas.items())), open('schemas.json', 'w'), separators=(',', ':'), sort_keys=True)
print(len(schemas))
