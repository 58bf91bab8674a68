from pathlib import Path

from netra_runner.config import Service
from netra_runner.config.model import Port
from netra_runner.services.spec import (
    LABEL_KEEP,
    LABEL_OWNER,
    Redactor,
    RunIdentity,
    ServiceSpec,
    definition_hash,
    render_exports,
)


def test_exports_render_host_name_and_published_ports() -> None:
    service = Service(
        image="pg",
        ports=(Port(5432),),
        exports={"URL": "postgresql://u:p@{host}:{port:5432}/db", "WHO": "{name}"},
    )
    spec = ServiceSpec("postgres", service, definition_hash(service))
    assert render_exports(spec, "127.0.0.1", {5432: 32768}) == {
        "URL": "postgresql://u:p@127.0.0.1:32768/db",
        "WHO": "postgres",
    }


def test_secret_looking_env_values_are_masked() -> None:
    service = Service(image="pg", env={"POSTGRES_PASSWORD": "hunter22", "POSTGRES_USER": "netra"})
    spec = ServiceSpec("pg", service, definition_hash(service))
    redact = Redactor(spec.secrets)
    assert spec.secrets == ("hunter22",)
    assert redact("user netra, password hunter22") == "user netra, password ******"
    assert redact("redis://default:abc@host:1/0") == "redis://default:******@host:1/0"


def test_definition_hash_changes_with_the_definition_only() -> None:
    one = Service(image="redis", command=("redis-server",))
    assert definition_hash(one) == definition_hash(
        Service(image="redis", command=("redis-server",))
    )
    assert definition_hash(one) != definition_hash(
        Service(image="redis", command=("redis-server", "--x"))
    )


def test_labels_name_the_owner() -> None:
    identity = RunIdentity.new(Path("/a/categories.yaml"), 42, 1000.5)
    labels = identity.labels("abc", keep=False)
    assert labels[LABEL_OWNER] == "42" and LABEL_KEEP not in labels
    assert identity.labels("abc", keep=True)[LABEL_KEEP] == "true"
    assert identity.project_id == RunIdentity.new(Path("/a/categories.yaml"), 1, 1).project_id


def test_the_set_up_and_what_it_reads_are_part_of_the_definition(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text("create table a (id int);")
    service = Service(
        image="postgres:16", setup=(("alembic", "upgrade", "head"),), setup_inputs=("migrations",)
    )
    before = definition_hash(service, tmp_path)
    assert definition_hash(service, tmp_path) == before
    (tmp_path / "migrations" / "002.sql").write_text("create table b (id int);")
    assert definition_hash(service, tmp_path) != before
    other = Service(
        image="postgres:16", setup=(("alembic", "upgrade", "+1"),), setup_inputs=("migrations",)
    )
    assert definition_hash(other, tmp_path) != definition_hash(service, tmp_path)
