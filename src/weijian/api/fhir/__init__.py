"""FHIR R4 terminology endpoints under /fhir/: CapabilityStatement, read/search of CodeSystem, ValueSet and
ConceptMap, and the operations $lookup, $expand, $validate-code, $translate.

An interface only: it authenticates like the REST API (token or session), checks
`require(actor, "terminology-…", "view")`, calls `weijian.terminology.operations`/`selectors` and renders
hand-built FHIR JSON (`application/fhir+json`). Every error is an `OperationOutcome`.
"""
