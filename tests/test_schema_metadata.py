"""The one reader of the services list in the template metadata
(``TemplateMetadata.services_of``), which ``watchkeeper report`` and ``watchkeeper check``
both use."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from watchkeeper.schema import TemplateMetadata

ORDERS = {TemplateMetadata.SERVICE: "orders", TemplateMetadata.MONITORED: {"functions": []}}
BILLING = {TemplateMetadata.SERVICE: "billing"}


def _template(block: Any) -> dict[str, Any]:
    return {"Resources": {}, "Metadata": {TemplateMetadata.KEY: block}}


def test_the_services_that_are_objects_in_their_order():
    entries = TemplateMetadata.services_of(_template({TemplateMetadata.SERVICES: [
        ORDERS, BILLING]}))
    assert entries.services == [ORDERS, BILLING]
    assert entries.notes == []


def test_a_template_without_watchkeepers_metadata_has_none_and_no_note():
    for template in ({"Resources": {}}, {"Metadata": "x"}, {"Metadata": {"Other": {}}}, None,
                     []):
        assert TemplateMetadata.services_of(template) == ([], [])


def test_no_services_list_is_a_note():
    for block in ({TemplateMetadata.SERVICES: "orders"}, {}, "orders", None):
        assert TemplateMetadata.services_of(_template(block)) == (
            [], ["Metadata.Watchkeeper has no services list; ignored"])


def test_each_entry_that_is_not_an_object_is_a_note_and_skipped():
    entries = TemplateMetadata.services_of(_template({TemplateMetadata.SERVICES: [
        "orders", ORDERS, None, [BILLING]]}))
    assert entries.services == [ORDERS]
    assert entries.notes == ["a Metadata.Watchkeeper service is not an object"] * 3


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["Metadata", TemplateMetadata.KEY, TemplateMetadata.SERVICES, "x"]),
        inner, max_size=3),
    max_leaves=15,
)


@given(json_values)
def test_any_json_reads_as_objects_and_notes_never_an_error(template):
    services, notes = TemplateMetadata.services_of(template)
    assert all(isinstance(s, dict) for s in services)
    assert all(isinstance(n, str) and n.startswith(("Metadata.", "a Metadata."))
               for n in notes)
