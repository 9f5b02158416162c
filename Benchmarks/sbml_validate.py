"""Runs libSBML's consistency check (python-libsbml from PyPI) on SBML files.

Usage: python sbml_validate.py FILE.xml...
Prints every error (and the warning count) per file; exits 1 if any file has errors.
"""
import sys

import libsbml

failed = 0
for path in sys.argv[1:]:
    doc = libsbml.readSBMLFromFile(path)
    doc.checkConsistency()
    errors, warnings = [], 0
    for i in range(doc.getNumErrors()):
        e = doc.getError(i)
        if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            errors.append(f"  {e.getSeverityAsString()} {e.getErrorId()} line {e.getLine()}: {e.getMessage().strip()}")
        else:
            warnings += 1
    status = "OK" if not errors else f"{len(errors)} error(s)"
    print(f"{path}: {status}, {warnings} warning(s) (level {doc.getLevel()} version {doc.getVersion()})")
    for line in errors:
        print(line)
    failed += bool(errors)
print(f"libSBML {libsbml.getLibSBMLDottedVersion()}: {len(sys.argv) - 1 - failed} of {len(sys.argv) - 1} files consistent")
sys.exit(1 if failed else 0)
