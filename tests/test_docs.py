"""Every relative link and image in README.md, docs/*.md and the configs'
READMEs points at a file that exists (and at a heading that exists, for
``#anchor`` links), and the README stays a short newcomer page."""
import glob
import os.path as osp
import re

import pytest

from conftest import REPO_ROOT

README = osp.join(REPO_ROOT, 'README.md')
PAGES = [README] + sorted(glob.glob(osp.join(REPO_ROOT, 'docs', '*.md'))) + \
    sorted(glob.glob(osp.join(REPO_ROOT, 'configs', '*', 'README.md')))
# [text](target) and ![alt](target); the target ends at whitespace or ')'
LINK = re.compile(r'!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
FENCE = re.compile(r'^\s*(```|~~~)')


def strip_code(text):
    """The text without fenced code blocks and inline code spans."""
    lines, in_fence = [], False
    for line in text.split('\n'):
        if FENCE.match(line):
            in_fence = not in_fence
            lines.append('')
            continue
        lines.append('' if in_fence else re.sub(r'`[^`]*`', '', line))
    return '\n'.join(lines)


def github_anchor(heading):
    """The anchor GitHub gives a heading."""
    text = re.sub(r'[*_`]|<[^>]+>', '', heading.strip().lower())
    text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', text)
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def anchors_of(path):
    anchors, seen = set(), {}
    for line in strip_code(open(path, encoding='utf-8').read()).split('\n'):
        m = re.match(r'^#{1,6}\s+(.*?)\s*#*\s*$', line)
        if not m:
            continue
        slug = github_anchor(m.group(1))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        anchors.add(slug if n == 0 else f'{slug}-{n}')
    return anchors


def relative_links(path):
    text = strip_code(open(path, encoding='utf-8').read())
    for target in LINK.findall(text):
        if re.match(r'^[a-z][a-z0-9+.-]*:', target, re.I):
            continue  # http:, https:, mailto:
        yield target


def broken_links(path):
    broken = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition('#')
        dest = (path if not file_part else osp.normpath(
            osp.join(osp.dirname(path), file_part)))
        if not osp.exists(dest):
            broken.append(f'{target} (no file {osp.relpath(dest, REPO_ROOT)})')
        elif anchor and dest.endswith('.md') and anchor not in anchors_of(
                dest):
            broken.append(f'{target} (no heading #{anchor} in '
                          f'{osp.relpath(dest, REPO_ROOT)})')
    return broken


@pytest.mark.parametrize('page', PAGES,
                         ids=[osp.relpath(p, REPO_ROOT) for p in PAGES])
def test_relative_links_resolve(page):
    broken = broken_links(page)
    assert not broken, (f'{osp.relpath(page, REPO_ROOT)} has broken links: '
                        + '; '.join(broken))


def test_link_checker_finds_broken_links(tmp_path):
    (tmp_path / 'there.md').write_text('# A heading\n')
    page = tmp_path / 'page.md'
    page.write_text(
        '[ok](there.md) [ok](there.md#a-heading) [web](https://x.org/y)\n'
        '![missing](img/none.png) [bad anchor](there.md#other)\n'
        '```\n[in code](nowhere.md)\n```\n'
        '`[span](nowhere2.md)`\n')
    broken = broken_links(str(page))
    assert len(broken) == 2
    assert broken[0].startswith('img/none.png (no file')
    there = osp.relpath(str(tmp_path / 'there.md'), REPO_ROOT)
    assert broken[1] == f'there.md#other (no heading #other in {there})'


def test_github_anchor():
    assert github_anchor('Model size against the paper (Table II)') == \
        'model-size-against-the-paper-table-ii'
    assert github_anchor('Headline: MedDet student vs plain student '
                         '(SPIDER disc)') == \
        'headline-meddet-student-vs-plain-student-spider-disc'
    assert github_anchor('`make demo` in 15 min') == 'make-demo-in-15-min'


def test_readme_is_a_short_newcomer_page():
    size = osp.getsize(README)
    assert size <= 12.5 * 1024, (
        f'README.md is {size} bytes; keep it under about 12 KB and move '
        'details to docs/')
    text = open(README, encoding='utf-8').read()
    for section in ('## Two commands', '## Supported versions',
                    '## What is in the box', '## Configs', '## Citation'):
        assert section in text, f'README.md lost its {section!r} section'
