"""Snippets and paragraph HTML: the only module that produces ``Markup``.

Last step of the core pipeline. Matches are found by re-analysing the paragraph with
the index analyzer, so an expansion term (``should``) marks the word really in the text
(``shld``). Phrases are marked only where the whole phrase occurs, in order.

Everything from the text is escaped exactly once here; the result is safe HTML:

* ``<mark>``: a match of the query (adjacent matches separated by spaces merge);
* ``<abbr title="should">``: a dictionary abbreviation (outside any ``<mark>``);
* ``<span class="page">``: a ``[Page 972]`` marker; ``<sup class="fnref">``: a footnote
  reference, a link to the footnote in the document view; ``<i>``: italics of the source.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from .abbreviations import COMMON_WORDS, Abbreviation, AbbreviationTable
from .analysis import Term, analyze
from .models import AbbreviationUse, Marker, mask_markers
from .tokens import key

SNIPPET_CHARS = 280
CONTEXT_BEFORE = 60


@dataclass(frozen=True)
class MatchSpec:
    """What to mark: single terms, phrases (keys, slop) and prefixes, as indexed keys."""

    terms: frozenset[str] = frozenset()
    phrases: tuple[tuple[tuple[str, ...], int], ...] = ()
    prefixes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases or self.prefixes)


@dataclass
class Annotated:
    """A paragraph analysed for display: where the matches and abbreviations are."""

    text: str
    markers: tuple[Marker, ...]
    marks: list[tuple[int, int]] = field(default_factory=list)
    abbrs: list[tuple[int, int, Abbreviation]] = field(default_factory=list)
    emphasis: tuple[tuple[int, int], ...] = ()

    @property
    def abbreviations(self) -> tuple[AbbreviationUse, ...]:
        """Distinct abbreviations of the paragraph, in order of appearance."""
        seen: dict[tuple[str, str], None] = {}
        for start, end, entry in self.abbrs:
            seen.setdefault((self.text[start:end], entry.title), None)
        return tuple(AbbreviationUse(form, expansion) for form, expansion in seen)

    def matched_forms(self) -> list[str]:
        """The marked forms, an abbreviation as one form (``Sov Govt``) and the other
        marked words of a mark as one phrase (``Soviet Government``)."""
        forms: list[str] = []
        for start, end in self.marks:
            pos = start
            for a_start, a_end, _ in self.abbrs:
                if a_end <= start or a_start >= end:
                    continue
                if a_start > pos:
                    forms.append(self.text[pos:a_start])
                forms.append(self.text[a_start:a_end])
                pos = max(pos, a_end)
            if pos < end:
                forms.append(self.text[pos:end])
        return [" ".join(f.split()) for f in forms if f.strip()]


def _abbreviation_spans(terms: Sequence[Term]) -> list[tuple[int, int, Abbreviation]]:
    spans: list[tuple[int, int, Abbreviation]] = []
    run: list[Term] = []

    def flush() -> None:
        if run:
            entry = run[0].entry
            # a display-only entry that is also a common word (A, am, en) is left alone:
            # without context a tooltip "airgram" on the article would mislead
            if not (entry.match == "display" and key(entry.form) in COMMON_WORDS):
                spans.append((run[0].start, run[-1].end, entry))
            run.clear()

    for term in terms:
        if term.expanded:
            continue
        if term.entry is None:
            flush()
            continue
        if run and (run[-1].entry is not term.entry or len(run) >= len(term.entry.form_words)):
            flush()
        run.append(term)
    flush()
    return spans


def _match_spans(terms: Sequence[Term], spec: MatchSpec) -> list[tuple[int, int]]:
    by_pos: dict[int, list[Term]] = {}
    spans: list[tuple[int, int]] = []
    for term in terms:
        by_pos.setdefault(term.pos, []).append(term)
        if term.text in spec.terms or (spec.prefixes and term.text.startswith(spec.prefixes)):
            spans.append((term.start, term.end))
    for words, slop in spec.phrases:
        first = words[0]
        for term in terms:
            if term.text != first:
                continue
            chain = [term]
            pos = term.pos
            for word in words[1:]:
                nxt = None
                for step in range(1, max(1, slop) + 1):
                    nxt = next((t for t in by_pos.get(pos + step, ()) if t.text == word), None)
                    if nxt:
                        break
                if nxt is None:
                    chain = []
                    break
                chain.append(nxt)
                pos = nxt.pos
            spans.extend((t.start, t.end) for t in chain)
    return spans


def _merge(spans: Iterable[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(set(spans)):
        if merged and start <= merged[-1][1] or merged and not text[merged[-1][1]:start].strip():
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def annotate(
    text: str,
    markers: Sequence[Marker],
    table: AbbreviationTable,
    spec: MatchSpec | None = None,
    emphasis: Sequence[tuple[int, int]] = (),
) -> Annotated:
    """Analyse a paragraph: its abbreviations, and the spans that match ``spec``."""
    terms = list(analyze(mask_markers(text, tuple(markers)), table))
    result = Annotated(text, tuple(markers), abbrs=_abbreviation_spans(terms), emphasis=tuple(map(tuple, emphasis)))
    if spec:
        result.marks = _merge(_match_spans(terms, spec), text)
    return result


def _window(annotated: Annotated, width: int) -> tuple[int, int]:
    text = annotated.text
    if len(text) <= width:
        return 0, len(text)
    marks = annotated.marks
    if not marks:
        start = 0
    else:
        starts = [s for s, _ in marks]
        best, best_count = starts[0], 0
        for s in starts:
            count = bisect.bisect_left(starts, s + width - CONTEXT_BEFORE) - bisect.bisect_left(starts, s)
            if count > best_count:
                best, best_count = s, count
        start = max(0, best - CONTEXT_BEFORE)
        if start > 0:
            space = text.rfind(" ", 0, start + 1)
            start = space + 1 if space > 0 and best - space < CONTEXT_BEFORE * 2 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    # never cut a marker, an abbreviation or a match in half
    for s, e in [(m.start, m.end) for m in annotated.markers] + [(s, e) for s, e, _ in annotated.abbrs] + marks:
        if s < start < e:
            start = s
        if s < end < e:
            end = e
    return start, end


def render(
    annotated: Annotated,
    start: int = 0,
    end: int | None = None,
    footnote_href: Callable[[str], str] | None = None,
    show_expansions: bool = False,
) -> Markup:
    """HTML of ``annotated.text[start:end]`` with marks, abbreviations and markers."""
    text = annotated.text
    end = len(text) if end is None else end
    cuts = {start, end}
    for s, e in annotated.marks:
        cuts.update((s, e))
    for s, e, _ in annotated.abbrs:
        cuts.update((s, e))
    for m in annotated.markers:
        cuts.update((m.start, m.end))
    for s, e in annotated.emphasis:
        cuts.update((s, e))
    points = sorted(c for c in cuts if start <= c <= end)

    def italic(pos: int) -> bool:
        return any(s <= pos < e for s, e in annotated.emphasis)

    abbr_at = {s: (e, entry) for s, e, entry in annotated.abbrs}
    marker_at = {m.start: m for m in annotated.markers}
    mark_starts = [s for s, _ in annotated.marks]

    def marked(pos: int) -> bool:
        i = bisect.bisect_right(mark_starts, pos) - 1
        return i >= 0 and annotated.marks[i][0] <= pos < annotated.marks[i][1]

    out: list[str] = []
    open_abbr: tuple[int, Abbreviation] | None = None
    in_mark = False
    for a, b in zip(points, points[1:]):
        if open_abbr is None and a in abbr_at:
            abbr_end, entry = abbr_at[a]
            if abbr_end <= end:
                if in_mark:
                    out.append("</mark>")
                    in_mark = False
                out.append(f'<abbr title="{escape(entry.title)}">')
                open_abbr = (abbr_end, entry)
        want_mark = marked(a)
        if want_mark != in_mark:
            out.append("<mark>" if want_mark else "</mark>")
            in_mark = want_mark
        marker = marker_at.get(a)
        if marker is not None and marker.end == b:
            if marker.kind == "label":
                if footnote_href is not None:
                    out.append(f'<a class="fnlabel" href="#fnref{escape(marker.value)}" title="back to the text">{escape(text[a:b])}</a>')
                else:
                    out.append(str(escape(text[a:b])))
            elif marker.kind == "page":
                out.append(f'<span class="page" data-page="{escape(marker.value)}">{escape(text[a:b])}</span>')
            elif footnote_href is not None:
                href = escape(footnote_href(marker.value))
                out.append(
                    f'<sup class="fnref"><a href="{href}" id="fnref{escape(marker.value)}">'
                    f"{escape(marker.value)}</a></sup>"
                )
            else:
                out.append(f'<sup class="fnref">{escape(text[a:b])}</sup>')
        elif annotated.emphasis and italic(a):
            out.append(f"<i>{escape(text[a:b])}</i>")
        else:
            out.append(str(escape(text[a:b])))
        if open_abbr is not None and b == open_abbr[0]:
            if in_mark:
                out.append("</mark>")
                in_mark = False
            out.append("</abbr>")
            if show_expansions:
                out.append(f'<span class="expansion"> [{escape(open_abbr[1].expansion)}]</span>')
            open_abbr = None
    if in_mark:
        out.append("</mark>")
    if open_abbr is not None:
        out.append("</abbr>")
    return Markup("".join(out))


def snippet(annotated: Annotated, width: int = SNIPPET_CHARS) -> Markup:
    """A window of the paragraph around its best cluster of matches."""
    start, end = _window(annotated, width)
    body = render(annotated, start, end)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(annotated.text) else ""
    return Markup(prefix) + body + Markup(suffix)
