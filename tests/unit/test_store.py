"""The store: one atomic write per transaction, savepoints, indexes, corruption refused."""
from __future__ import annotations

import json

import pytest

from store import Store, StoreCorrupt, StoreError, StoreMissing
from store.repository import SCHEMA_VERSION


@pytest.fixture
def store(tmp_path):
    return Store.open(tmp_path / "data" / "rers.json", create=True)


def test_insert_find_and_reopen(store):
    with store.transaction():
        doc_id = store.members.insert({"address": "a@example.org", "ref": "M-1", "status": "pending"})
        store.items.insert({"ref": "O-1", "member": "M-1", "status": "open"})
    assert store.members.find_one("address", "a@example.org")["id"] == doc_id
    assert [i["ref"] for i in store.items.find("member", "M-1")] == ["O-1"]
    again = Store.open(store.path)
    assert again.members.get(doc_id)["ref"] == "M-1"
    assert again.schema_version == SCHEMA_VERSION


def test_failed_transaction_changes_nothing_in_memory_or_on_disk(store):
    with store.transaction():
        doc_id = store.members.insert({"address": "a@example.org", "status": "pending"})
    before = store.path.read_bytes()
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.members.update(doc_id, status="confirmed")
            store.members.insert({"address": "b@example.org"})
            raise RuntimeError("boom")
    assert store.members.get(doc_id)["status"] == "pending"
    assert store.members.find_one("address", "b@example.org") is None
    assert store.path.read_bytes() == before


def test_savepoint_undoes_only_its_block(store):
    with store.transaction():
        store.members.insert({"address": "kept@example.org"})
        with pytest.raises(ValueError):
            with store.savepoint():
                store.members.insert({"address": "undone@example.org"})
                store.members.delete(1)
                raise ValueError
        store.items.insert({"ref": "O-1"})
    assert [m["address"] for m in store.members.all()] == ["kept@example.org"]
    assert store.items.find_one("ref", "O-1") is not None
    assert store.members.find_one("address", "undone@example.org") is None


def test_writes_outside_a_transaction_are_refused(store):
    with pytest.raises(StoreError, match="outside a transaction"):
        store.members.insert({"address": "x@example.org"})


def test_unique_index_refuses_a_duplicate(store):
    with store.transaction():
        store.members.insert({"address": "a@example.org"})
        with pytest.raises(StoreError, match="already exists"):
            store.members.insert({"address": "a@example.org"})


def test_returned_documents_are_copies(store):
    with store.transaction():
        doc_id = store.members.insert({"address": "a@example.org", "tags": ["x"]})
    doc = store.members.get(doc_id)
    doc["tags"].append("y")
    assert store.members.get(doc_id)["tags"] == ["x"]


def test_one_write_per_transaction_and_a_backup(store):
    with store.transaction():
        store.members.insert({"address": "a@example.org"})
    with store.transaction():
        for n in range(50):
            store.items.insert({"ref": f"O-{n}"})
    backup = store.path.with_name(store.path.name + ".bak")
    assert backup.exists()
    previous = json.loads(backup.read_text())
    assert previous.get("items", {}) == {}
    assert len(json.loads(store.path.read_text())["items"]) == 50


def test_corrupt_store_is_reported_and_never_overwritten(tmp_path):
    path = tmp_path / "rers.json"
    path.write_text('{"members": {"1": {"address": "a@exa', encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(StoreCorrupt) as caught:
        Store.open(path)
    assert "not valid JSON" in str(caught.value) and "untouched" in str(caught.value)
    assert path.read_bytes() == before


def test_a_deleted_store_with_a_backup_is_refused_and_the_backup_kept(store):
    for n in range(2):  # two writes: the first version is now the backup
        with store.transaction():
            store.members.insert({"address": f"m{n}@example.org", "status": "confirmed"})
    backup = store.path.with_name(store.path.name + ".bak")
    before = backup.read_bytes()
    store.path.unlink()
    with pytest.raises(StoreCorrupt) as caught:
        Store.open(store.path)
    assert "missing" in str(caught.value) and f"cp {backup}" in str(caught.value)
    assert backup.read_bytes() == before and not store.path.exists()
    backup.rename(backup.with_name("kept.json"))  # moved away on purpose: a new, empty store, if asked for
    with pytest.raises(StoreMissing):
        Store.open(store.path)
    assert Store.open(store.path, create=True).members.count() == 0


def test_a_store_is_never_made_up_where_none_is(tmp_path):
    path = tmp_path / "mnt" / "store" / "rers.json"
    with pytest.raises(StoreMissing) as caught:
        Store.open(path)
    assert "rers init --store" in str(caught.value) and "not mounted" in str(caught.value)
    assert "\n" not in str(caught.value), "one line"
    assert not path.parent.exists(), "nothing written"


def test_a_store_that_vanishes_while_in_use_is_not_replaced_by_an_empty_one(store):
    for n in range(2):
        with store.transaction():
            store.members.insert({"address": f"m{n}@example.org", "status": "confirmed"})
    backup = store.path.with_name(store.path.name + ".bak")
    store.path.unlink()
    backup.unlink()  # the disk unmounted: both gone
    with pytest.raises(StoreMissing, match="disappeared"):
        with store.transaction():
            store.members.insert({"address": "new@example.org"})
    assert not store.path.exists() and not backup.exists(), "no empty store written in its place"


def test_even_a_store_opened_with_create_is_missed_once_it_existed(tmp_path):
    store = Store.open(tmp_path / "rers.json", create=True)
    with store.transaction():
        store.members.insert({"address": "a@example.org"})
    store.path.unlink()
    with pytest.raises(StoreMissing):
        with store.transaction():
            pass
    assert not store.path.exists()


def test_create_makes_an_empty_store_and_never_replaces_one(tmp_path):
    path = tmp_path / "store" / "rers.json"
    created = Store.create(path)
    assert path.exists() and created.members.count() == 0
    assert json.loads(path.read_text())["_meta"]["1"]["schema_version"] == SCHEMA_VERSION
    assert Store.open(path).members.count() == 0
    with pytest.raises(StoreError, match="already exists"):
        Store.create(path)
    with created.transaction():
        created.members.insert({"address": "a@example.org"})
    with created.transaction():
        pass
    path.unlink()  # only the backup is left: still a store, never replaced
    with pytest.raises(StoreError, match="already exists"):
        Store.create(path)


def test_wrong_shape_is_corrupt(tmp_path):
    path = tmp_path / "rers.json"
    path.write_text('["a list"]', encoding="utf-8")
    with pytest.raises(StoreCorrupt):
        Store.open(path)


def test_store_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "rers.json"
    path.write_text(json.dumps({"_meta": {"1": {"schema_version": SCHEMA_VERSION + 1}}}), encoding="utf-8")
    with pytest.raises(StoreError, match="newer rers"):
        Store.open(path)


def test_another_process_writes_are_seen_by_the_next_transaction(store):
    with store.transaction():
        store.members.insert({"address": "a@example.org"})
    other = Store.open(store.path)
    with other.transaction():
        other.members.insert({"address": "b@example.org"})
    with store.transaction():
        store.members.insert({"address": "c@example.org"})
    final = Store.open(store.path)
    assert sorted(m["address"] for m in final.members.all()) == ["a@example.org", "b@example.org", "c@example.org"]
    ids = [m["id"] for m in final.members.all()]
    assert len(set(ids)) == 3


def test_counters(store):
    with store.transaction():
        assert [store.next_number("offer") for _ in range(3)] == [1, 2, 3]
        assert store.next_number("demand") == 1
    with store.transaction():
        store.set_state("last_cycle", "2026-11-29T09:00:00+00:00")
    assert store.get_state("last_cycle") == "2026-11-29T09:00:00+00:00"
    assert store.get_state("missing", 7) == 7


def test_durable_field_updates_survive_without_a_full_write(store):
    with store.transaction():
        doc_id = store.outbox.insert({"message_id": "<m1>", "status": "queued"})
    before = store.path.read_bytes()
    store.outbox.set_durably(doc_id, {"status": "sent", "sent": "2026-11-29T10:00:00+00:00"})
    assert store.path.read_bytes() == before  # not rewritten
    assert store.outbox.find("status", "sent")[0]["id"] == doc_id  # indexes follow
    # A crash now: a new process sees the update through the journal.
    again = Store.open(store.path)
    assert again.outbox.get(doc_id)["status"] == "sent"
    assert again.outbox.count("status", "queued") == 0
    # The next transaction writes it into the file and empties the journal.
    with again.transaction():
        pass
    journal = again.path.with_name(again.path.name + ".journal")
    assert not journal.exists()
    assert json.loads(again.path.read_text())["outbox"][str(doc_id)]["status"] == "sent"
    with pytest.raises(StoreError):
        with again.transaction():
            again.outbox.set_durably(doc_id, {"status": "x"})


def test_a_torn_journal_line_is_ignored(store):
    with store.transaction():
        doc_id = store.outbox.insert({"message_id": "<m1>", "status": "queued"})
    store.outbox.set_durably(doc_id, {"status": "sent"}, sync=False)
    journal = store.path.with_name(store.path.name + ".journal")
    with open(journal, "ab") as handle:
        handle.write(b'{"table":"outbox","id":1,"fie')
    assert Store.open(store.path).outbox.get(doc_id)["status"] == "sent"


def test_forget_backup_leaves_nothing_of_the_previous_version(store):
    with store.transaction():
        doc_id = store.members.insert({"address": "gone@example.org", "name": "Eve Blanc"})
    with store.transaction():
        store.items.insert({"ref": "O-1"})  # the .bak now holds Eve
    backup = store.path.with_name(store.path.name + ".bak")
    assert b"Eve Blanc" in backup.read_bytes()
    with store.transaction():
        store.members.delete(doc_id)
        store.forget_backup()
    assert b"Eve Blanc" not in store.path.read_bytes()
    assert b"Eve Blanc" not in backup.read_bytes()
    assert backup.read_bytes() == store.path.read_bytes()


@pytest.mark.parametrize("text", ["{}", '{"members": {}}'])
def test_a_store_without_schema_is_refused(tmp_path, text):
    path = tmp_path / "rers.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StoreCorrupt, match="no schema version"):
        Store.open(path)
    assert path.read_text() == text


def test_no_staged_backup_is_left_when_the_backup_already_is_the_current_file(store):
    with store.transaction():
        store.items.insert({"ref": "O-1"})
        store.forget_backup()  # .bak and the store are now one file
    with store.transaction():
        store.items.insert({"ref": "O-2"})
    assert not list(store.path.parent.glob("*.tmp"))
    assert b"O-2" not in store.path.with_name(store.path.name + ".bak").read_bytes()


def test_a_store_emptied_under_a_running_robot_is_refused_at_every_access_and_never_written_over(store):
    """The tester's case: ``echo '{}' > rers.json`` while the robot runs. Each transaction
    (the next cycle, the daemon noting the failure) is refused; neither the file nor its
    backup is written over."""
    with store.transaction():
        store.members.insert({"ref": "M-1", "address": "a@example.org"})
    with store.transaction():
        store.members.insert({"ref": "M-2", "address": "b@example.org"})
    backup = store.path.with_name(store.path.name + ".bak")
    kept_backup = backup.read_bytes()
    store.path.write_text("{}", encoding="utf-8")
    for _ in range(3):
        with pytest.raises(StoreCorrupt, match="no schema version"):
            with store.transaction():
                store.state.insert({"key": "last_cycle_error", "value": "x"})
    assert store.path.read_text() == "{}" and backup.read_bytes() == kept_backup
    store.path.write_bytes(kept_backup)  # restored by hand: the robot goes on
    with store.transaction():
        store.members.insert({"ref": "M-3", "address": "c@example.org"})
    assert [m["ref"] for m in Store.open(store.path).members.all()] == ["M-1", "M-3"]


def test_a_document_read_is_a_deep_copy_of_any_depth():
    # Copies are made value by value (only dicts and lists again): nothing read is shared
    # with the store, however deep, and every kind of JSON value comes back the same.
    from store.repository import _copy

    doc = {"a": [1, {"b": [2.5, None, True, "x"]}], "c": {"d": {"e": []}}, "f": "g", "h": 3}
    copied = _copy(doc)
    assert copied == doc
    copied["a"][1]["b"].append(9)
    copied["c"]["d"]["e"].append(1)
    assert doc == {"a": [1, {"b": [2.5, None, True, "x"]}], "c": {"d": {"e": []}}, "f": "g", "h": 3}


def test_a_read_is_a_copy_with_its_fields_in_order_then_its_id(store):
    # A read copies the document once and puts its id last (as {**copy, "id": id} did):
    # the same keys in the same order, and changing what was read changes nothing stored.
    doc = {"ref": "O-1", "member": "M-1", "status": "open", "tags": ["a", {"b": [1]}], "when": {"at": "x"}}
    with store.transaction():
        doc_id = store.items.insert(dict(doc))
    read = store.items.get(doc_id)
    assert list(read.items()) == list({**doc, "id": doc_id}.items())
    read["tags"][1]["b"].append(2)
    read["when"]["at"] = "y"
    assert store.items.get(doc_id) == {**doc, "id": doc_id}
