"""Prints the rows of sim/cluster/src/patch/merge_keys.rs: the patchStrategy/patchMergeKey
tags of every Go type reachable from a served kind that leads to one. Run in the same directory
of k8s.io/api and apimachinery v0.33.9 types files as openapi_schemas.py."""
import re, sys, glob
files = {f[:-len('_types.go')]: open(f).read() for f in glob.glob('*_types.go')}
structs = {}  # (file, name) -> list of (jsonname, gotype, strategy, key, inline)
field_re = re.compile(r"^\s*(?:(\w+)\s+)?([\w\.\*\[\]]+)\s+`([^`]*)`")
for fname, src in files.items():
    for m in re.finditer(r'^type (\w+) struct \{\n(.*?)^\}', src, re.S | re.M):
        name, body = m.group(1), m.group(2)
        fields = []
        for line in body.split('\n'):
            if line.strip().startswith('//'): continue
            fm = field_re.match(line)
            if not fm: continue
            gname, gtype, tags = fm.groups()
            if gname is None: gname = gtype
            j = re.search(r'json:"([^"]*)"', tags)
            if not j: continue
            jname = j.group(1).split(',')[0]
            inline = ',inline' in j.group(1)
            s = re.search(r'patchStrategy:"([^"]*)"', tags)
            k = re.search(r'patchMergeKey:"([^"]*)"', tags)
            fields.append((jname, gtype, s.group(1) if s else '', k.group(1) if k else '', inline))
        structs[(fname, name)] = fields
def resolve(fname, gtype):
    t = gtype.replace('*', '')
    is_list = t.startswith('[]')
    t = t.replace('[]', '')
    if t.startswith('map['): t = t.split(']', 1)[1]
    pkg = None
    if '.' in t: pkg, t = t.split('.', 1)
    order = []
    if pkg == 'metav1': order = ['meta_v1']
    elif pkg in ('v1', 'corev1', 'core'): order = ['core_v1'] if fname != 'core_v1' else ['core_v1']
    elif pkg is None: order = [fname]
    else: order = []
    for f in order:
        if (f, t) in structs: return (f, t), is_list
    return None, is_list
roots = {  # kind -> (file, type)
 'Pod':'core_v1','Namespace':'core_v1','ConfigMap':'core_v1','Secret':'core_v1','Node':'core_v1','Service':'core_v1',
 'ServiceAccount':'core_v1','LimitRange':'core_v1','ResourceQuota':'core_v1','PodTemplate':'core_v1',
 'Deployment':'apps_v1','ReplicaSet':'apps_v1','StatefulSet':'apps_v1','DaemonSet':'apps_v1','ControllerRevision':'apps_v1',
 'Job':'batch_v1','CronJob':'batch_v1','PodDisruptionBudget':'policy_v1','Role':'rbac_v1','ClusterRole':'rbac_v1',
 'RoleBinding':'rbac_v1','ClusterRoleBinding':'rbac_v1','MutatingWebhookConfiguration':'admissionregistration_v1',
 'ValidatingWebhookConfiguration':'admissionregistration_v1','Lease':'coordination_v1','Scale':'autoscaling_v1'}
rows = {}  # type -> list of (field, child, strategy, key)
interesting = {}
def visit(key, stack=()):
    if key in interesting: return interesting[key]
    if key in stack: return False
    interesting[key] = False
    out = []
    hit = False
    for (j, gt, s, k, inline) in structs[key]:
        child, is_list = resolve(key[0], gt)
        ci = visit(child, stack + (key,)) if child else False
        if inline and child:
            # flatten: the inline struct's rows belong to this type
            for r in rows.get(child[1], []):
                out.append(r)
            if ci: hit = True
            if s: print('inline strategy', key, j, s, file=sys.stderr)
            continue
        if s or k or ci:
            out.append((j, child[1] if (child and ci) else '', s, k))
            hit = True
    if out: rows[key[1]] = out
    interesting[key] = hit
    return hit
for kind, f in roots.items(): visit((f, kind))
print('// kinds:', file=sys.stderr)
for t in sorted(rows):
    for (j, c, s, k) in rows[t]:
        print(f'    ("{t}", "{j}", "{c}", "{s}", "{k}"),')
