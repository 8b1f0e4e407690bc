#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a Markdown reference of a D-Bus interface from its introspection XML.

The XML's comments are the documentation: the one at the top of the file
describes the service, and the comment right before a <method>, <signal> or
<property> describes that member. A comment may describe a run of members at
once; members that follow it without their own comment point back to it.

  dbus-api-doc.py XML [-o OUT]          write the reference (to stdout)
  dbus-api-doc.py --check-fresh DOC XML fail when DOC is not what XML gives
  dbus-api-doc.py --check-complete DOC XML
                                        fail when a member of XML is missing
                                        from DOC or shown with another type
  dbus-api-doc.py --check-rejects XML   fail unless XML is refused cleanly

The committed copy is remade with
  python3 tools/dbus-api-doc.py dbus/org.wolfram.Memory1.xml > docs/dbus-api.md

Only the standard library is used, so that the build needs nothing more.
"""

import argparse
import difflib
import os
import re
import subprocess
import sys
import xml.dom.minidom
import xml.etree.ElementTree
import xml.parsers.expat

PROG = 'dbus-api-doc'
TOOL = 'tools/dbus-api-doc.py'
EMITS_ANNOTATION = 'org.freedesktop.DBus.Property.EmitsChangedSignal'
KINDS = (('method', 'Methods'), ('signal', 'Signals'), ('property', 'Properties'))
ACCESS_KEYWORD = {'read': 'readonly', 'write': 'writeonly', 'readwrite': 'readwrite'}
EMITS_WORDS = {
    'true': 'yes, with the new value',
    'invalidates': 'yes, without the value (invalidated)',
    'const': 'no: constant while the service runs',
    'false': 'no: read it when needed',
}

# Short name and, where it says more, a longer explanation of each basic type.
BASIC_TYPES = {
    'y': ('byte', 'unsigned 8-bit integer'),
    'b': ('boolean', 'true or false'),
    'n': ('int16', 'signed 16-bit integer'),
    'q': ('uint16', 'unsigned 16-bit integer'),
    'i': ('int32', 'signed 32-bit integer'),
    'u': ('uint32', 'unsigned 32-bit integer'),
    'x': ('int64', 'signed 64-bit integer'),
    't': ('uint64', 'unsigned 64-bit integer'),
    'd': ('double', 'IEEE 754 double-precision floating point'),
    's': ('string', 'UTF-8 text'),
    'o': ('object path', 'a D-Bus object path such as /org/example'),
    'g': ('signature', 'a D-Bus type signature'),
    'h': ('file descriptor', 'a Unix file descriptor passed with the message'),
    'v': ('variant', 'a value of any type that carries its own type code'),
}


class DocError(Exception):
    """A problem with the input, reported to the user as one line."""


# ---------------------------------------------------------------------------
# Type signatures


def parse_type(sig, pos=0):
    """Parses one complete type at sig[pos:]; returns (tree, next position).

    A tree is a basic type code, ('a', element), ('e', key, value) for a
    dictionary entry, or ('r', [fields]) for a struct.
    """
    if pos >= len(sig):
        raise ValueError('type ends too early')
    c = sig[pos]
    if c in BASIC_TYPES:
        return c, pos + 1
    if c == 'a':
        if sig.startswith('{', pos + 1):
            key, p = parse_type(sig, pos + 2)
            if key not in BASIC_TYPES or key == 'v':
                raise ValueError('a dictionary key must be a basic type')
            value, p = parse_type(sig, p)
            if not sig.startswith('}', p):
                raise ValueError('a dictionary entry holds exactly a key and a value')
            return ('e', key, value), p + 1
        element, p = parse_type(sig, pos + 1)
        return ('a', element), p
    if c == '(':
        fields = []
        p = pos + 1
        while not sig.startswith(')', p):
            field, p = parse_type(sig, p)
            fields.append(field)
        if not fields:
            raise ValueError('a struct needs at least one field')
        return ('r', fields), p + 1
    raise ValueError(f'unknown type code {c!r}')


def parse_single_type(sig):
    """Returns the tree of sig, which must be exactly one complete type."""
    tree, end = parse_type(sig)
    if end != len(sig):
        raise ValueError('more than one complete type')
    return tree


def describe_type(tree):
    """Names a type in plain words: ('a', 'u') is "array of uint32"."""
    if isinstance(tree, str):
        return BASIC_TYPES[tree][0]
    if tree[0] == 'e':
        return f'dictionary ({describe_type(tree[1])} → {describe_type(tree[2])})'
    if tree[0] == 'a':
        return 'array of ' + describe_type(tree[1])
    return 'struct (' + ', '.join(describe_type(f) for f in tree[1]) + ')'


def basic_codes(tree):
    if isinstance(tree, str):
        return [tree]
    return [c for sub in (tree[1:] if tree[0] == 'e' else
                          [tree[1]] if tree[0] == 'a' else tree[1])
            for c in basic_codes(sub)]


# ---------------------------------------------------------------------------
# Reading the XML


def load(path):
    """Returns the parsed document; DocError names the file and what is wrong."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        raise DocError(f'{path}: cannot read: {e.strerror}') from None
    try:
        return xml.dom.minidom.parseString(data)
    except xml.parsers.expat.ExpatError as e:
        raise DocError(f'{path}: not well-formed XML: {xml.parsers.expat.ErrorString(e.code)} '
                       f'(line {e.lineno}, column {e.offset + 1})') from None


def elements(node, tag):
    return [n for n in node.childNodes if n.nodeType == n.ELEMENT_NODE and n.tagName == tag]


def comment_before(node):
    """The comment right before node, with only white space between, or None."""
    prev = node.previousSibling
    while prev is not None and prev.nodeType == prev.TEXT_NODE and not prev.data.strip():
        prev = prev.previousSibling
    if prev is not None and prev.nodeType == prev.COMMENT_NODE and prev.data.strip():
        return prev.data
    return None


def follows_directly(node):
    """Whether node comes right after an element of its kind, no blank line between."""
    prev = node.previousSibling
    if prev is not None and prev.nodeType == prev.TEXT_NODE and prev.data.count('\n') <= 1:
        prev = prev.previousSibling
    return prev is not None and prev.nodeType == prev.ELEMENT_NODE and prev.tagName == node.tagName


def annotations(node):
    return {a.getAttribute('name'): a.getAttribute('value') for a in elements(node, 'annotation')}


def checked_type(path, what, sig):
    if not sig:
        raise DocError(f'{path}: {what} has no type')
    try:
        parse_single_type(sig)
    except ValueError as e:
        raise DocError(f'{path}: {what} has an invalid type "{sig}": {e}') from None
    return sig


def read_interface(path, iface):
    name = iface.getAttribute('name')
    if not name:
        raise DocError(f'{path}: an <interface> has no name')
    iface_annotations = annotations(iface)
    default_emits = iface_annotations.get(EMITS_ANNOTATION, 'true')
    members = []
    for node in iface.childNodes:
        if node.nodeType != node.ELEMENT_NODE or node.tagName not in ('method', 'signal', 'property'):
            continue
        kind = node.tagName
        mname = node.getAttribute('name')
        if not mname:
            raise DocError(f'{path}: a <{kind}> of {name} has no name')
        member = {'kind': kind, 'name': mname, 'comment': comment_before(node),
                  'in_run': follows_directly(node), 'annotations': annotations(node)}
        if kind == 'property':
            member['type'] = checked_type(path, f'property {mname}', node.getAttribute('type'))
            access = node.getAttribute('access')
            if access not in ACCESS_KEYWORD:
                raise DocError(f'{path}: property {mname} has access "{access}"; '
                               'expected read, write or readwrite')
            member['access'] = access
            emits = member['annotations'].get(EMITS_ANNOTATION, default_emits)
            if emits not in EMITS_WORDS:
                raise DocError(f'{path}: property {mname} has {EMITS_ANNOTATION} "{emits}"; '
                               'expected true, invalidates, const or false')
            member['emits'] = emits
        else:
            args = []
            for i, arg in enumerate(elements(node, 'arg')):
                aname = arg.getAttribute('name')
                what = f'argument {aname or i} of {kind} {mname}'
                direction = arg.getAttribute('direction') or 'in'
                if kind == 'method' and direction not in ('in', 'out'):
                    raise DocError(f'{path}: {what} has direction "{direction}"; expected in or out')
                args.append({'name': aname, 'type': checked_type(path, what, arg.getAttribute('type')),
                             'direction': direction if kind == 'method' else None})
            member['args'] = args
        members.append(member)
    return {'name': name, 'comment': comment_before(iface), 'annotations': iface_annotations,
            'members': members}


def read_api(path):
    doc = load(path)
    root = doc.documentElement
    if root.tagName != 'node':
        raise DocError(f'{path}: the root element is <{root.tagName}>, not <node>')
    header = None
    for n in doc.childNodes:
        if n.nodeType == n.COMMENT_NODE:
            header = n.data
            break
    interfaces = [read_interface(path, i) for i in elements(root, 'interface')]
    if not interfaces:
        raise DocError(f'{path}: no <interface> in <node>')
    return {'header': header, 'node': root.getAttribute('name'), 'interfaces': interfaces}


def attach_shared_comments(members):
    """Points each member without a comment at the member whose comment covers it.

    That is the nearest earlier member whose comment names it; failing that,
    the member that opens the run of lines, without a blank one, it is in.
    """
    leader = None
    for i, m in enumerate(members):
        if m['comment'] is not None:
            leader = m
            m['see'] = None
            continue
        if not m['in_run']:
            leader = None
        naming = [p for p in members[:i] if p['comment'] is not None and
                  re.search(r'(?<![\w.])' + re.escape(m['name']) + r'(?!\w)', p['comment'])]
        m['see'] = naming[-1] if naming else leader


# ---------------------------------------------------------------------------
# Comments to Markdown

# "Name:", "Name, Other:", "@arg:" or "polkit action:" opening a line: the
# line starts an entry of its own when the line before it ended one.
ENTRY_RE = re.compile(r'@?[A-Za-z_][\w.]*(?: [A-Za-z_][\w.]*)?(?:, ?@?[A-Za-z_][\w.]*)*:(?:\s|$)')


def comment_lines(text):
    """The comment's lines, tabs expanded, dedented, without blank ends."""
    lines = [line.expandtabs(8).rstrip() for line in text.split('\n')]
    if lines and lines[0].strip():
        # Text on the same line as "<!--" lines up with the lines below it.
        rest = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
        lines[0] = ' ' * (min(rest) if rest else 0) + lines[0].strip()
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return [line[indent:] for line in lines]


def comment_blocks(lines):
    """Splits dedented lines into ('para', lines) and ('pre', lines) blocks.

    Indented lines are a list or table laid out by hand and stay as they are.
    """
    blocks = []
    for i, line in enumerate(lines):
        if not line.strip():
            if blocks and blocks[-1][0] == 'para':
                blocks.append(('gap', []))
            elif blocks and blocks[-1][0] == 'pre':
                blocks[-1][1].append('')
            continue
        if line[0] == ' ':
            if not blocks or blocks[-1][0] != 'pre':
                blocks.append(('pre', []))
            blocks[-1][1].append(line)
            continue
        prev = lines[i - 1].rstrip() if i > 0 else ''
        new_entry = ENTRY_RE.match(line) and (prev.endswith(('.', ':', ';', ')')) or ENTRY_RE.match(prev))
        if not blocks or blocks[-1][0] != 'para' or new_entry:
            blocks.append(('para', []))
        blocks[-1][1].append(line)
    result = []
    for kind, block in blocks:
        if kind == 'gap':
            continue
        if kind == 'pre':
            while block and not block[-1]:
                block.pop()
            indent = min(len(b) - len(b.lstrip()) for b in block if b)
            block = [b[indent:] for b in block]
        result.append((kind, block))
    return result


def escape_markdown(text):
    text = re.sub(r'([\\`*<>\[\]])', r'\\\1', text)
    # Underscores inside words (MADV_COLD) are literal; at a word's edge not.
    text = re.sub(r'(?<!\w)_|_(?!\w)', r'\\_', text)
    return text


def render_paragraph(text):
    text = escape_markdown(text)
    # gtk-doc's @argument names an argument.
    text = re.sub(r'(?<![\w@])@([A-Za-z_]\w*)', r'`\1`', text)
    # What would open a heading, quote or list is literal at a paragraph's start.
    return re.sub(r'^(#|>|[-+]\s|\d+[.)]\s)', r'\\\1', text)


def fence(lines):
    longest = max((len(m) for line in lines for m in re.findall(r'`+', line)), default=0)
    return '`' * max(3, longest + 1)


def render_comment(text, name=None):
    """Markdown of a comment; a leading "name:" that repeats the heading goes."""
    out = []
    blocks = comment_blocks(comment_lines(text))
    if name and blocks and blocks[0][0] == 'para':
        first = blocks[0][1]
        if first[0].startswith(name + ':'):
            rest = first[0][len(name) + 1:].lstrip()
            first = ([rest] if rest else []) + first[1:]
            if first:
                first[0] = first[0][0].upper() + first[0][1:]
                blocks[0] = ('para', first)
            else:
                blocks.pop(0)
    for kind, block in blocks:
        if kind == 'para':
            out.append(render_paragraph(' '.join(block)))
        else:
            f = fence(block)
            out.append('\n'.join([f] + block + [f]))
    return out


# ---------------------------------------------------------------------------
# The document


class Anchors:
    """GitHub's heading anchors, registered in the order the headings appear."""

    def __init__(self):
        self.seen = {}

    def add(self, heading):
        slug = re.sub(r'[^\w\- ]', '', heading.lower()).replace(' ', '-')
        n = self.seen.get(slug, 0)
        self.seen[slug] = n + 1
        return slug if n == 0 else f'{slug}-{n}'


def member_signature(m):
    """The member as gdbus introspect writes it."""
    if m['kind'] == 'property':
        return f"{ACCESS_KEYWORD[m['access']]} {m['type']} {m['name']}"
    parts = []
    for a in m['args']:
        words = [a['direction'], a['type'], a['name']]
        parts.append(' '.join(w for w in words if w))
    return f"{m['name']}({', '.join(parts)})"


def polkit_action(m):
    match = re.search(r'polkit action:\s*([\w.-]*\w)', m['comment'] or '')
    return match.group(1) if match else None


def render_member(m, level, anchor_of):
    out = ['#' * level + ' ' + m['name'], '', f'`{member_signature(m)}`', '']
    if m['kind'] == 'property':
        out += [f"- Type: `{m['type']}`, {describe_type(parse_single_type(m['type']))}",
                f"- Access: {m['access']}",
                f"- Emits PropertiesChanged: {EMITS_WORDS[m['emits']]}", '']
    elif m['args']:
        for a in m['args']:
            direction = f"{a['direction']} " if a['direction'] else ''
            label = f"`{a['name']}`" if a['name'] else 'unnamed'
            out.append(f"- {direction}{label}: `{a['type']}`, {describe_type(parse_single_type(a['type']))}")
        out.append('')
    for key, value in sorted(m['annotations'].items()):
        if key == EMITS_ANNOTATION:
            continue
        if key == 'org.freedesktop.DBus.Deprecated' and value == 'true':
            out += ['**Deprecated.**', '']
        elif key == 'org.freedesktop.DBus.Method.NoReply' and value == 'true':
            out += ['The caller gets no reply.', '']
        else:
            out += [f'Annotation `{key}` = `{value}`.', '']
    if m['comment'] is not None:
        for block in render_comment(m['comment'], m['name']):
            out += [block, '']
    elif m['see'] is not None:
        out += [f"See [{m['see']['name']}](#{anchor_of[id(m['see'])]}).", '']
    else:
        out += ['Not documented.', '']
    return out


def render_interface(iface, level, anchors, contents):
    out = []
    anchor_of = {}
    for kind, title in KINDS:
        members = [m for m in iface['members'] if m['kind'] == kind]
        attach_shared_comments(members)
        out += ['#' * level + ' ' + title, '']
        anchors.add(title)
        if not members:
            out += [f'No {title.lower()}.', '']
            continue
        if kind == 'method':
            out += ['| Method | polkit action |', '| --- | --- |']
            for m in members:
                action = polkit_action(m)
                out.append(f"| `{member_signature(m)}` | {f'`{action}`' if action else '—'} |")
            out.append('')
        elif kind == 'property':
            out += ['| Property | Type | Access | Emits PropertiesChanged |', '| --- | --- | --- | --- |']
            for m in members:
                emits = EMITS_WORDS[m['emits']].split(':')[0]
                out.append(f"| `{m['name']}` | `{m['type']}` | {m['access']} | {emits} |")
            out.append('')
        links = []
        for m in members:
            anchor_of[id(m)] = anchors.add(m['name'])
            links.append(f"[{m['name']}](#{anchor_of[id(m)]})")
            out += render_member(m, level + 1, anchor_of)
        contents.append(f'- {title}: ' + ', '.join(links))
    return out


def type_table(api, anchors):
    """A table of every type code the interface uses, in its XML and comments."""
    used = []

    def use(sig):
        if sig not in used:
            used.append(sig)

    texts = [api['header'] or '']
    for iface in api['interfaces']:
        for m in iface['members']:
            for sig in [m['type']] if m['kind'] == 'property' else [a['type'] for a in m['args']]:
                use(sig)
            texts.append(m['comment'] or '')
    # Comments give the types of dictionary values and struct fields as
    # "Name (t)"; where the parentheses hold exactly one type, it is one.
    for text in texts:
        for sig in re.findall(r'\(([a-z{}()]+)\)', text):
            try:
                parse_single_type(sig)
            except ValueError:
                continue
            use(sig)
    codes = {c for sig in used for c in basic_codes(parse_single_type(sig))}
    rows = []
    for code, (short, long) in BASIC_TYPES.items():
        if code in codes:
            rows.append(f'| `{code}` | {short}: {long} |')
    for sig in used:
        if sig not in BASIC_TYPES:
            rows.append(f'| `{sig}` | {describe_type(parse_single_type(sig))} |')
    anchors.add('Type codes')
    return ['## Type codes', '',
            'The D-Bus type codes this interface uses, in its signatures and in the',
            'descriptions above (where "Name (t)" gives the type of a dictionary value',
            'or struct field). `a{sv}` is a dictionary from names to values of any type;',
            'clients must ignore keys they do not know.', '',
            '| Code | Meaning |', '| --- | --- |'] + rows + ['']


def repo_relative(path):
    """path from the repository root when it lies inside, else as given."""
    root = os.path.realpath(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    rel = os.path.relpath(os.path.realpath(path), root)
    return path if rel.startswith('..') else rel


def regenerate_command(xml_path, doc_path):
    return f'python3 {TOOL} {repo_relative(xml_path)} > {repo_relative(doc_path)}'


def render(api, source):
    first = api['interfaces'][0]['name']
    header = api['header'] or ''
    bus = re.search(r'^\s*Bus name:\s*(\S+)', header, re.M)
    bus_name = bus.group(1) if bus else first
    obj = re.search(r'^\s*Object(?: path)?:\s*(/\S*)', header, re.M)
    object_path = obj.group(1) if obj else (api['node'] or '/' + bus_name.replace('.', '/'))

    anchors = Anchors()
    title = f'{bus_name} D-Bus API'
    anchors.add(title)
    anchors.add('Overview')
    body = []
    contents = []
    several = len(api['interfaces']) > 1
    for iface in api['interfaces']:
        if several:
            heading = f"Interface {iface['name']}"
            body += ['## ' + heading, '']
            contents.append(f'- [{heading}](#{anchors.add(heading)})')
        if iface['comment'] is not None:
            for block in render_comment(iface['comment']):
                body += [block, '']
        body += render_interface(iface, 3 if several else 2, anchors, contents)
    body += type_table(api, anchors)

    if source == 'dbus/org.wolfram.Memory1.xml':
        banner_tail = f'     Regenerate: python3 {TOOL} {source} > docs/dbus-api.md -->'
    else:
        banner_tail = '     Edit the comments in the XML instead. -->'
    out = [f'# {title}', '',
           f'<!-- Generated by {TOOL} from {source}; do not edit.', banner_tail, '',
           '## Overview', '',
           '| | |', '| --- | --- |',
           f'| Bus name | `{bus_name}` |',
           f'| Object path | `{object_path}` |']
    out += [f"| Interface | `{i['name']}` |" for i in api['interfaces']]
    out.append('')
    if api['header'] is not None:
        for block in render_comment(api['header']):
            out += [block, '']
    out += contents + [''] + body
    while out and out[-1] == '':
        out.pop()
    return '\n'.join(out) + '\n'


def generate(xml_path):
    return render(read_api(xml_path), repo_relative(xml_path))


# ---------------------------------------------------------------------------
# Checks, run as unit tests


def check_fresh(doc_path, xml_path):
    text = generate(xml_path)
    try:
        with open(doc_path, encoding='utf-8') as f:
            committed = f.read()
    except OSError as e:
        raise DocError(f'{doc_path}: cannot read: {e.strerror}') from None
    if committed == text:
        print(f'{doc_path} matches {xml_path}')
        return 0
    diff = list(difflib.unified_diff(committed.splitlines(), text.splitlines(),
                                     doc_path, 'generated', lineterm=''))
    print('\n'.join(diff[:200]))
    if len(diff) > 200:
        print(f'... {len(diff) - 200} more lines of difference')
    print(f'{doc_path} is out of date with {xml_path}; run\n'
          f'  {regenerate_command(xml_path, doc_path)}', file=sys.stderr)
    return 1


def check_complete(doc_path, xml_path):
    """Checks DOC against the XML as ElementTree reads it, not as render() does."""
    with open(doc_path, encoding='utf-8') as f:
        doc = f.read()
    try:
        root = xml.etree.ElementTree.parse(xml_path).getroot()
    except xml.etree.ElementTree.ParseError as e:
        raise DocError(f'{xml_path}: not well-formed XML: {e}') from None
    problems = []
    count = 0
    for iface in root.findall('interface'):
        default_emits = 'true'
        for a in iface.findall('annotation'):
            if a.get('name') == EMITS_ANNOTATION:
                default_emits = a.get('value')
        for node in iface:
            if node.tag not in ('method', 'signal', 'property'):
                continue
            count += 1
            name = node.get('name')
            what = f'{node.tag} {name}'
            heading = re.search(r'^#{2,4} ' + re.escape(name) + '\n', doc, re.M)
            if not heading:
                problems.append(f'{what}: no heading')
            else:
                section = doc[heading.end():].split('\n#', 1)[0]
                if 'Not documented.' in section.split('\n'):
                    problems.append(f'{what}: no comment in the XML describes it')
            if node.tag == 'property':
                emits = default_emits
                for a in node.findall('annotation'):
                    if a.get('name') == EMITS_ANNOTATION:
                        emits = a.get('value')
                access = {'read': 'readonly', 'write': 'writeonly'}.get(node.get('access'), 'readwrite')
                sig = f"{access} {node.get('type')} {name}"
                row = f"| `{name}` | `{node.get('type')}` | {node.get('access')} | "
                if row not in doc:
                    problems.append(f'{what}: no row in the table of properties')
                elif (row + ('no' if emits in ('const', 'false') else 'yes')) not in doc:
                    problems.append(f'{what}: PropertiesChanged shown wrong (annotation: {emits})')
            else:
                args = []
                for a in node.findall('arg'):
                    words = [a.get('direction', 'in')] if node.tag == 'method' else []
                    words += [a.get('type')] + ([a.get('name')] if a.get('name') else [])
                    args.append(' '.join(words))
                sig = f"{name}({', '.join(args)})"
            if f'`{sig}`' not in doc:
                problems.append(f'{what}: signature `{sig}` missing')
            if node.tag == 'property':
                types = [node.get('type')]
            else:
                types = [a.get('type') for a in node.findall('arg')]
            for t in types:
                if f'| `{t}` |' not in doc:
                    problems.append(f'{what}: type {t} missing from the table of type codes')
    if count == 0:
        problems.append('the XML has no members')
    for p in problems:
        print(f'{doc_path}: {p}', file=sys.stderr)
    if problems:
        return 1
    print(f'{doc_path}: all {count} members of {xml_path} documented')
    return 0


def check_rejects(xml_path):
    """Runs this tool on a broken file: it must fail with one line naming it."""
    r = subprocess.run([sys.executable, os.path.abspath(__file__), xml_path],
                       capture_output=True, text=True, check=False)
    err = r.stderr.strip()
    print(f'exit status {r.returncode}; stderr: {err}')
    ok = True
    if r.returncode != 1:
        print('expected exit status 1', file=sys.stderr)
        ok = False
    if r.stdout:
        print('expected nothing on stdout', file=sys.stderr)
        ok = False
    if '\n' in err or not err.startswith(f'{PROG}: {xml_path}: ') or 'Traceback' in err:
        print(f'expected one line starting "{PROG}: {xml_path}: "', file=sys.stderr)
        ok = False
    return 0 if ok else 1


def main(argv):
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split('\n')[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--check-fresh', metavar='DOC', help='fail when DOC differs from what XML gives')
    mode.add_argument('--check-complete', metavar='DOC', help='fail when a member of XML is missing from DOC')
    mode.add_argument('--check-rejects', action='store_true',
                      help='fail unless XML is refused with a clear message')
    parser.add_argument('-o', '--output', metavar='OUT', help='write here instead of to stdout')
    parser.add_argument('xml', metavar='XML', help='the introspection XML')
    args = parser.parse_args(argv)
    try:
        if args.check_fresh:
            return check_fresh(args.check_fresh, args.xml)
        if args.check_complete:
            return check_complete(args.check_complete, args.xml)
        if args.check_rejects:
            return check_rejects(args.xml)
        text = generate(args.xml)
        if args.output:
            tmp = args.output + '.tmp'
            with open(tmp, 'w', encoding='utf-8') as f:
                f.write(text)
            os.replace(tmp, args.output)
        else:
            sys.stdout.buffer.write(text.encode('utf-8'))
            sys.stdout.flush()
    except DocError as e:
        print(f'{PROG}: {e}', file=sys.stderr)
        return 1
    except OSError as e:
        print(f'{PROG}: {e.filename or ""}: {e.strerror}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
