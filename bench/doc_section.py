"""Writes one bench script's section of docs/benchmarks.md: the lines between <!-- NAME:BEGIN -->
and <!-- NAME:END --> are replaced (the section is appended when the page has no such markers)."""


def write(doc, section, lines):
    begin, end = f"<!-- {section}:BEGIN -->", f"<!-- {section}:END -->"
    block = "\n".join([begin, ""] + lines + ["", end])
    text = open(doc).read()
    if begin in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text += "\n" + block + "\n"
    open(doc, "w").write(text)
