"""Components are found by discovery: one folder per notebook, each declaring its tables."""

from salesaudit import components
from salesaudit.ingest import contract
from salesaudit.run import schedule


def test_component_folders_and_notebooks_match_one_to_one():
    notebooks = [nb.slug for nb in schedule.discover() if nb.slug != schedule.SUMMARY]
    assert list(components.discover()) == notebooks


def test_each_component_names_known_tables_and_a_translatable_label():
    for slug, comp in components.discover().items():
        assert comp.slug == slug and comp.label and comp.needs
        assert set(comp.needs) | set(comp.uses) <= set(contract.TABLES), slug
        assert not set(comp.needs) & set(comp.uses), slug
