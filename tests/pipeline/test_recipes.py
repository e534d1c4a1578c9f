"""Every download recipe on a mini copy of its corpus, served over loopback HTTP.

Each mini archive has the real archive's folder structure and metadata files, with a handful of
short synthetic wavs at the corpus' native rate; the test swaps the spec's URLs and md5s for
the mini archives'. Two recipes (a scene and the event task) then go through our task stages.
"""

import copy
import dataclasses
import hashlib
import io
import json
import tarfile
import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from hear_assets.lib.grid import stages
from hear_assets.lib.store.errors import TaskDataError, UnknownTaskError
from hear_assets.lib.store.layout import Layout
from hear_assets.lib.tasks import TaskSpec, recipes
from hear_assets.lib.tasks.recipes import gunshot
from hear_assets.lib.tasks.recipes.base import str2int, subsample
from tests.helpers import register_tasks

# ---------------------------------------------------------------- helpers


def wav(seconds: float, sr: int, freq: float = 440.0, subtype: str = "PCM_16") -> bytes:
    """A short tone as wav bytes."""
    t = np.arange(int(round(seconds * sr))) / sr
    buf = io.BytesIO()
    sf.write(buf, 0.3 * np.sin(2 * np.pi * freq * t), sr, format="WAV", subtype=subtype)
    return buf.getvalue()


def make_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def make_tar(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


class CountingHandler(SimpleHTTPRequestHandler):
    """Static files; records each requested path."""

    def log_message(self, *args) -> None:
        """Silence the default stderr log."""

    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        super().do_GET()


@pytest.fixture
def www(tmp_path: Path):
    """A folder served on loopback; yields (folder, base URL, requested paths)."""
    root = tmp_path / "www"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(CountingHandler, directory=str(root)))
    httpd.daemon_threads = True
    httpd.paths = []  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield root, f"http://127.0.0.1:{httpd.server_address[1]}", httpd.paths  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()


def archive_name(entry: dict) -> str:
    return entry["url"].split("?")[0].rsplit("/", 1)[-1]


def served_spec(name: str, mode: str | None, base: str, root: Path, **changes) -> TaskSpec:
    """The recipe's spec with every download pointed at ``root``'s file of the same name."""
    spec = recipes.recipe_spec(name, mode)
    params = copy.deepcopy(spec.params)
    for entry in params["downloads"]:
        path = root / archive_name(entry)
        entry["url"] = f"{base}/{path.name}"
        entry["md5"] = hashlib.md5(path.read_bytes()).hexdigest()  # the test's own md5 table
    params.update(changes.pop("params", {}))
    return dataclasses.replace(spec, params=params, **changes)


def read_clips(raw: Path) -> pd.DataFrame:
    clips = pd.read_csv(raw / "clips.csv", dtype=str, keep_default_na=False)
    assert list(clips.columns) == ["filename", "split", "label", "source"]
    assert all((raw / s).is_file() for s in clips["source"])
    assert clips["filename"].str.endswith(".wav").all() and clips["filename"].is_unique
    return clips.set_index("filename")


# ---------------------------------------------------------------- specs


def test_every_recipe_has_hear_identity_and_real_sources() -> None:
    expected = {
        "speech_commands": "speech_commands-v0.0.2-5h",
        "nsynth_pitch": "nsynth_pitch-v2.2.3-5h",
        "dcase2016_task2": "dcase2016_task2-hear2021-full",
        "esc50": "esc50-v2.0.0-full",
        "mridangam_stroke": "mridangam_stroke-v1.5-full",
        "mridangam_tonic": "mridangam_tonic-v1.5-full",
        "beijing_opera": "beijing_opera-v1.0-hear2021-full",
        "gunshot_triangulation": "gunshot_triangulation-v1.0-full",
    }
    assert set(recipes.RECIPES) == set(expected)
    for name, spec_name in expected.items():
        spec = recipes.recipe_spec(name)
        assert spec.name == spec_name and spec.source == "recipe"
        assert TaskSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec
        for mode in recipes.RECIPES[name].modes:
            for d in recipes.recipe_spec(name, mode).params["downloads"]:
                assert d["url"].startswith(("http://", "https://")) and len(d["md5"]) == 32
    small = recipes.recipe_spec("speech_commands", "small").params["downloads"]
    assert [d["md5"] for d in small] == [
        "455123a88b8410d1f955c77ad331524f",
        "26d08374a7abd13ca2f4a4b8424f41d0",
    ]
    assert recipes.recipe_spec("esc50", "small").sample_duration == 2.0
    assert recipes.recipe_spec("dcase2016_task2").task_type == "event"
    with pytest.raises(UnknownTaskError, match="did you mean 'esc50'"):
        recipes.recipe_spec("esc-50")
    with pytest.raises(UnknownTaskError, match="did you mean '50h'"):
        recipes.recipe_spec("nsynth_pitch", "50H")


def test_subsample_is_heares_seeded_shuffle() -> None:
    clips = [{"filename": f"c{i:03d}.wav", "split": "train"} for i in range(40)]
    clips += [{"filename": f"v{i}.wav", "split": "valid"} for i in range(5)]
    kept = subsample(clips, {"train": 10.0, "valid": None}, 2.0)
    names = sorted(c["filename"] for c in clips if c["split"] == "train")
    perm = np.random.RandomState(str2int("SubsampleSplit(train)")).permutation(len(names))
    train = {c["filename"] for c in kept if c["split"] == "train"}
    assert train == {names[i] for i in perm[:5]}
    assert sum(c["split"] == "valid" for c in kept) == 5


def test_find_shots_matches_hears_sample_loop() -> None:
    rng = np.random.default_rng(0)
    audio = np.where(rng.random(20000) < 0.01, 0.9, 0.1) * rng.choice([-1, 1], 20000)

    def hear_loop(audio, min_gap, count):
        in_shot, starts = False, []
        for i, sample in enumerate(audio):
            if not in_shot and abs(sample) >= 0.8 and len(starts) < count:
                starts.append(i)
                in_shot = True
            if in_shot and i - starts[-1] > min_gap:
                in_shot = False
        return starts

    for gap, count in ((0, 50), (1, 50), (700, 22), (5, 3)):
        assert gunshot.find_shots(audio, gap, count, 0.8) == hear_loop(audio, gap, count)


# ---------------------------------------------------------------- corpora


def speech_archives(root: Path) -> None:
    sr = 16000
    train = {
        "./yes/aaa_nohash_0.wav": wav(0.5, sr),
        "./yes/bbb_nohash_0.wav": wav(0.5, sr),
        "./yes/ccc_nohash_1.wav": wav(0.5, sr),
        "./no/aaa_nohash_0.wav": wav(0.5, sr),
        "./no/ddd_nohash_0.wav": wav(0.5, sr),
        "./bed/eee_nohash_0.wav": wav(0.5, sr),
        "./bed/fff_nohash_0.wav": wav(0.5, sr),
        "./_background_noise_/running_tap.wav": wav(2.5, sr),
        "./_background_noise_/white_noise.wav": wav(2.0, sr),
        "./_background_noise_/README.md": b"noise",
        "./validation_list.txt": b"yes/bbb_nohash_0.wav\nbed/fff_nohash_0.wav\n",
        "./testing_list.txt": b"yes/ccc_nohash_1.wav\n",
        "./LICENSE": b"CC-BY-4.0",
    }
    test = {
        "./yes/ggg_nohash_0.wav": wav(0.5, sr),
        "./_unknown_/hhh_nohash_0.wav": wav(0.5, sr),
        "./_silence_/silence_0.wav": wav(1.0, sr),
    }
    make_tar(root / "speech_commands_v0.02.tar.gz", train)
    make_tar(root / "speech_commands_test_set_v0.02.tar.gz", test)


def test_speech_commands(www, tmp_path: Path) -> None:
    root, base, requested = www
    speech_archives(root)
    spec = served_spec("speech_commands", "5h", base, root)
    raw = tmp_path / "raw"
    recipes.build_raw(spec, raw)
    clips = read_clips(raw)
    assert clips.loc["yes_aaa_nohash_0.wav", ["split", "label"]].tolist() == ["train", "yes"]
    assert clips.loc["yes_bbb_nohash_0.wav", "split"] == "valid"
    assert clips.loc["bed_eee_nohash_0.wav", "label"] == "_unknown_"
    assert clips.loc["bed_fff_nohash_0.wav", ["split", "label"]].tolist() == ["valid", "_unknown_"]
    assert "yes_ccc_nohash_1.wav" not in clips.index  # in testing_list: the test archive rules
    test = clips[clips["split"] == "test"]
    assert dict(zip(test.index, test["label"], strict=True)) == {
        "yes_ggg_nohash_0.wav": "yes",
        "_unknown__hhh_nohash_0.wav": "_unknown_",
        "_silence__silence_0.wav": "_silence_",
    }
    silence = clips[clips["source"].str.startswith("audio/_silence_/")]
    assert sorted(silence.index) == [
        "_silence__running_tap-0.wav",
        "_silence__running_tap-16000.wav",
        "_silence__running_tap-8000.wav",
        "_silence__white_noise-0.wav",
        "_silence__white_noise-8000.wav",
    ]
    assert set(silence.loc[silence.index.str.contains("running_tap"), "split"]) == {"valid"}
    assert set(silence.loc[silence.index.str.contains("white_noise"), "split"]) == {"train"}
    audio, sr = sf.read(raw / silence["source"].iloc[0])
    assert (len(audio), sr) == (16000, 16000)
    # a second run fetches and extracts nothing, and writes the same catalogue
    before, n_requests = (raw / "clips.csv").read_bytes(), len(requested)
    recipes.build_raw(spec, raw)
    assert len(requested) == n_requests and (raw / "clips.csv").read_bytes() == before
    # the mode's caps keep a seeded subset, the same on every build
    capped = served_spec(
        "speech_commands", "5h", base, root, params={"max_task_duration_by_split": {"train": 3.0}}
    )
    recipes.build_raw(capped, tmp_path / "capped")
    recipes.build_raw(capped, tmp_path / "capped2")
    a, b = read_clips(tmp_path / "capped"), read_clips(tmp_path / "capped2")
    assert (a["split"] == "train").sum() == 3 and a.index.tolist() == b.index.tolist()
    assert (a["split"] == "valid").sum() == (clips["split"] == "valid").sum()


def nsynth_archives(root: Path) -> None:
    sr = 16000
    notes = {
        "train": {
            "guitar_acoustic_001-060-100": 60,
            "bass_synthetic_009-021-075": 21,
            "keyboard_electronic_002-009-050": 9,
            "organ_electronic_007-108-025": 108,
            "flute_acoustic_002-070-127": 70,
        },
        "valid": {"brass_acoustic_006-065-050": 65, "mallet_acoustic_047-060-075": 60},
        "test": {"string_acoustic_012-072-100": 72, "reed_acoustic_011-060-050": 60},
    }
    missing = "flute_acoustic_002-070-127"  # listed, absent from the small archive
    for split, table in notes.items():
        meta = {
            k: {
                "note_str": k,
                "pitch": p,
                "velocity": 100,
                "instrument_family_str": k.split("_")[0],
            }
            for k, p in table.items()
        }
        files = {f"nsynth-{split}/examples.json": json.dumps(meta).encode()}
        files.update({f"nsynth-{split}/audio/{k}.wav": wav(0.3, sr) for k in table if k != missing})
        make_zip(root / f"nsynth-{split}-small.zip", files)


def test_nsynth_pitch_small(www, tmp_path: Path) -> None:
    root, base, _ = www
    nsynth_archives(root)
    spec = served_spec("nsynth_pitch", "small", base, root)
    recipes.build_raw(spec, tmp_path / "raw")
    clips = read_clips(tmp_path / "raw")
    assert clips.loc["guitar_acoustic_001-060-100.wav", ["split", "label"]].tolist() == [
        "train",
        "60",
    ]
    assert "keyboard_electronic_002-009-050.wav" not in clips.index  # pitch 9: outside 21-108
    assert "flute_acoustic_002-070-127.wav" not in clips.index  # missing: dropped in small mode
    assert {"bass_synthetic_009-021-075.wav", "organ_electronic_007-108-025.wav"} <= set(
        clips.index
    )
    assert clips["split"].value_counts().to_dict() == {"train": 3, "valid": 2, "test": 2}
    assert clips.loc["brass_acoustic_006-065-050.wav", "source"] == (
        "extracted/valid/nsynth-valid/audio/brass_acoustic_006-065-050.wav"
    )
    full = dataclasses.replace(spec, params={**spec.params, "mode": "5h"})
    with pytest.raises(TaskDataError, match=r"flute_acoustic_002-070-127\.wav"):
        recipes.build_raw(full, tmp_path / "raw5h")


def dcase_archives(root: Path) -> None:
    sr = 44100
    dev = "dcase2016_task2_train_dev/dcase2016_task2_dev"
    files = {f"{dev}/readme.txt": b"DCASE 2016 task 2 development set"}
    for i, stem in enumerate(
        ["dev_1_ebr_-6_nec_1_poly_0", "dev_1_ebr_0_nec_2_poly_1", "dev_1_ebr_6_nec_3_poly_0"]
    ):
        files[f"{dev}/sound/{stem}.wav"] = wav(4.0, sr, 300 + 100 * i)
        files[f"{dev}/annotation/{stem}.txt"] = (
            b"0.500000\t1.250000\tclearthroat\n2.0\t3.0\tcough\n3.5\t5.0\tknock\n"
            b"4.5\t4.8\tdoorslam\n"
        )
    make_zip(root / "dcase2016_task2_train_dev.zip", files)
    test = "dcase2016_task2_test_public"
    files = {}
    for i, stem in enumerate(["test_1_ebr_-6_nec_4_poly_1", "test_1_ebr_0_nec_5_poly_0"]):
        files[f"{test}/sound/{stem}.wav"] = wav(4.0, sr, 800 + 100 * i)
        files[f"{test}/annotation/{stem}.txt"] = b"0.1\t0.9\tkeys\n1.0\t2.5\tspeech\n"
    make_zip(root / "dcase2016_task2_test_public.zip", files)


def stage_run(tmp_path: Path, spec: TaskSpec) -> Path:
    """Our three task stages on a registered recipe spec; returns the task folder."""
    layout = Layout(tmp_path / "home")
    register_tasks(layout.root, spec.to_json())
    stages.build_task_raw(layout, spec)  # calls recipes.build_raw for source == "recipe"
    assert stages.stage_state(layout, "task_raw", spec) == "done"
    stages.build_task_audio(layout, spec)
    stages.build_task_splits(layout, spec)
    return layout.task_dir(spec.name)


@pytest.fixture
def no_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    """build_task_raw reads HEAR_MIRROR; these tests serve the archives themselves."""
    monkeypatch.delenv("HEAR_MIRROR", raising=False)


@pytest.mark.usefixtures("no_mirror")
def test_dcase2016_task2_events_through_the_task_stages(www, tmp_path: Path) -> None:
    root, base, _ = www
    dcase_archives(root)
    spec = served_spec(
        "dcase2016_task2",
        None,
        base,
        root,
        sample_duration=4.0,
    )
    task_dir = stage_run(tmp_path, spec)
    raw = tmp_path / "home" / "raw" / spec.name
    clips = read_clips(raw)
    assert len(clips) == 5 and set(clips["split"]) == {""} and set(clips["label"]) == {""}
    assert clips.loc["test_1_ebr_0_nec_5_poly_0.wav", "source"] == (
        "extracted/train/eval/dcase2016_task2_test_public/sound/test_1_ebr_0_nec_5_poly_0.wav"
    )
    events = pd.read_csv(raw / "events.csv")
    ev = events[events["filename"] == "dev_1_ebr_0_nec_2_poly_1.wav"]
    assert ev[["start_ms", "end_ms", "label"]].values.tolist() == [
        [500.0, 1250.0, "clearthroat"],
        [2000.0, 3000.0, "cough"],
        [3500.0, 4000.0, "knock"],
    ]  # doorslam starts after 4 s: dropped; knock cut at 4 s
    counts = {s: len(json.loads((task_dir / f"{s}.json").read_text())) for s in spec.splits}
    assert counts == {"train": 3, "valid": 1, "test": 1}  # 60/20/20 by file
    vocab = pd.read_csv(task_dir / "labelvocabulary.csv")["label"].tolist()
    assert vocab == ["clearthroat", "cough", "keys", "knock", "speech"]
    for split in spec.splits:
        for name, evs in json.loads((task_dir / f"{split}.json").read_text()).items():
            assert (task_dir / "16000" / split / name).is_file()
            assert all(0 <= e["start"] < e["end"] <= 4000 for e in evs)
    audio, sr = sf.read(next((task_dir / "48000" / "train").glob("*.wav")))
    assert (len(audio), sr) == (4 * 48000, 48000)


def esc_name(fold: int, target: int) -> str:
    """An ESC-50 file name: ``<fold>-<freesound id>-<take>-<target>.wav``."""
    return f"{fold}-{100 + target}{fold}-A-{target}.wav"


def esc50_archive(root: Path) -> None:
    sr = 44100
    rows = ["filename,fold,target,category,esc10,src_file,take"]
    files = {}
    for fold in range(1, 6):
        for target, category in ((0, "dog"), (41, "chainsaw")):
            name = esc_name(fold, target)
            rows.append(f"{name},{fold},{target},{category},{target == 0},{100 + target}{fold},A")
            files[f"ESC-50-master/audio/{name}"] = wav(0.4, sr, 200 + 10 * target)
    files["ESC-50-master/meta/esc50.csv"] = ("\n".join(rows) + "\n").encode()
    files["ESC-50-master/README.md"] = b"# ESC-50"
    make_zip(root / "master.zip", files)


@pytest.mark.usefixtures("no_mirror")
def test_esc50_scene_through_the_task_stages(www, tmp_path: Path) -> None:
    root, base, _ = www
    esc50_archive(root)
    spec = served_spec("esc50", None, base, root, sample_duration=1.0)
    task_dir = stage_run(tmp_path, spec)
    clips = read_clips(tmp_path / "home" / "raw" / spec.name)
    assert clips.loc["3-1413-A-41.wav", ["split", "label"]].tolist() == ["fold02", "chainsaw"]
    assert (
        clips.loc["1-1001-A-0.wav", "source"]
        == "extracted/all_folds/ESC-50-master/audio/1-1001-A-0.wav"
    )
    for k, split in enumerate(spec.splits):
        got = json.loads((task_dir / f"{split}.json").read_text())
        assert got == {esc_name(k + 1, 0): ["dog"], esc_name(k + 1, 41): ["chainsaw"]}
        assert len(list((task_dir / "22050" / split).glob("*.wav"))) == 2
    meta = json.loads((task_dir / "task_metadata.json").read_text())
    assert meta["split_mode"] == "presplit_kfold" and meta["splits"] == spec.splits


def mridangam_archive(root: Path) -> None:
    sr = 44100
    files = {}
    n = 224030
    for tonic_dir, tonic in (("B", "b"), ("C#", "csh")):
        for stroke in ("bheem", "cha", "thom"):
            for take in (1, 2):
                name = f"{n}__akshaylaya__{stroke}-{tonic}-{take:03d}.wav"
                files[f"mridangam_stroke_1.5/{tonic_dir}/{name}"] = wav(0.2, sr)
                n += 1
    make_zip(root / "mridangam_stroke_1.5.zip", files)


@pytest.mark.parametrize(
    ("task", "labels"),
    [("mridangam_stroke", {"bheem", "cha", "thom"}), ("mridangam_tonic", {"b", "csh"})],
)
def test_mridangam(www, tmp_path: Path, task: str, labels: set[str]) -> None:
    root, base, _ = www
    mridangam_archive(root)
    recipes.build_raw(served_spec(task, None, base, root), tmp_path / "raw")
    clips = read_clips(tmp_path / "raw")
    assert len(clips) == 12 and set(clips["label"]) == labels and set(clips["split"]) == {""}
    row = clips.loc["224032__akshaylaya__cha-b-001.wav"]
    assert row["label"] == ("cha" if task == "mridangam_stroke" else "b")
    assert (
        row["source"] == "extracted/train/mridangam_stroke_1.5/B/224032__akshaylaya__cha-b-001.wav"
    )


def test_mridangam_unknown_stroke_names_the_file(www, tmp_path: Path) -> None:
    root, base, _ = www
    make_zip(
        root / "mridangam_stroke_1.5.zip",
        {"mridangam_stroke_1.5/B/1__u__boom-b-001.wav": wav(0.1, 44100)},
    )
    with pytest.raises(TaskDataError, match=r"1__u__boom-b-001\.wav.*stroke 'boom'"):
        recipes.build_raw(served_spec("mridangam_stroke", None, base, root), tmp_path / "raw")


def test_beijing_opera_from_a_local_mirror(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    folder = "beijing_opera_percussion_instrument_1.0"
    files = {
        f"{folder}/{205972 + i}__ajaysm__{inst}-{i:02d}.wav": wav(0.3, 44100)
        for i, inst in enumerate(["bangu", "daluo", "naobo", "xiaoluo", "daluo"])
    }
    files[f"{folder}/extra/999__ajaysm__bangu-01.wav"] = wav(0.3, 44100)  # HEAR reads the top only
    archive = make_zip(mirror / "beijing_opera_percussion_instrument_1.0.zip", files)
    spec = recipes.recipe_spec("beijing_opera")
    spec.params["downloads"][0]["md5"] = hashlib.md5(archive.read_bytes()).hexdigest()
    recipes.build_raw(spec, tmp_path / "raw", mirror=str(mirror))  # the zenodo URL is not used
    clips = read_clips(tmp_path / "raw")
    assert clips["label"].to_dict() == {
        "205972__ajaysm__bangu-00.wav": "bangu",
        "205973__ajaysm__daluo-01.wav": "daluo",
        "205974__ajaysm__naobo-02.wav": "naobo",
        "205975__ajaysm__xiaoluo-03.wav": "xiaoluo",
        "205976__ajaysm__daluo-04.wav": "daluo",
    }


def gunshot_recordings(root: Path, offsets: list[int]) -> list[int]:
    """Four mic recordings of 22 shots; returns the shots' onsets in aligned samples."""
    sr = 48000
    onsets = [10000 + 26000 * j for j in range(22)]
    rng = np.random.default_rng(1)
    burst = 0.95 * np.exp(-np.arange(800) / 100.0) * np.where(np.arange(800) % 2, -1, 1)
    for m, (name, off) in enumerate(zip(gunshot.MICS, offsets, strict=True)):
        aligned = rng.normal(0, 0.01, 630000)
        for onset in onsets:
            aligned[onset + 20 * m : onset + 20 * m + 800] += burst * (1.0 if m == 0 else 0.5)
        audio = np.concatenate([rng.normal(0, 0.01, off - sr), aligned])
        sf.write(root / f"{name}.wav", audio, sr, subtype="PCM_16" if m == 1 else "FLOAT")
    return onsets


def test_gunshot_triangulation_cuts_shots_and_folds_by_firearm(www, tmp_path: Path) -> None:
    root, base, _ = www
    offsets = [60000, 52000, 48000, 70000]
    gunshot_recordings(root, offsets)
    spec = served_spec("gunshot_triangulation", None, base, root, params={"mic_offsets": offsets})
    recipes.build_raw(spec, tmp_path / "raw")
    clips = read_clips(tmp_path / "raw")
    assert len(clips) == 88 and clips["label"].value_counts().to_dict() == {
        f"mic{m}": 22 for m in range(1, 5)
    }
    fid = clips.index.str.extract(r"_fid(\d)\.wav$", expand=False)
    assert sorted(pd.Series(fid).value_counts().tolist()) == [12, 12, 12, 12, 12, 12, 16]
    folds = pd.DataFrame({"fid": fid, "split": clips["split"].to_numpy()})
    assert (folds.groupby("fid")["split"].nunique() == 1).all()  # one firearm per fold
    assert sorted(folds.drop_duplicates()["split"]) == spec.splits
    for split in spec.splits:
        assert set(clips.loc[clips["split"] == split, "label"]) == {"mic1", "mic2", "mic3", "mic4"}
    audio, sr = sf.read(tmp_path / "raw" / clips.loc["mic1_shot5_fid2.wav", "source"])
    assert (len(audio), sr) == (72000, 48000)  # 1.5 s from 1/8 s before the onset
    assert np.abs(audio[6000]) > 0.8 and np.abs(audio[:6000]).max() < 0.1


def test_gunshot_triangulation_small_mode(www, tmp_path: Path) -> None:
    root, base, _ = www
    fids = gunshot.SHOT_FIREARM_IDS
    make_zip(
        root / "gunshot_triangulation.zip",
        {
            f"train/mic{m}_shot{j}_fid{f}.wav": wav(0.05, 48000)
            for j, f in enumerate(fids)
            for m in range(1, 5)
        },
    )
    spec = served_spec("gunshot_triangulation", "small", base, root)
    recipes.build_raw(spec, tmp_path / "raw")
    clips = read_clips(tmp_path / "raw")
    assert len(clips) == 88 and sorted(set(clips["split"])) == spec.splits
