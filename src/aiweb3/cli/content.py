"""``aiweb3 content`` — sign media, clip it, verify it, manage creator keys and anchors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress

from aiweb3.chain import Deployments, deploy_system, dev_account
from aiweb3.cli.context import Context, console, err_console
from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.errors import DeploymentError, InputError
from aiweb3.provenance import (
    Claim,
    CreatorRegistry,
    Manifest,
    SignedManifest,
    clip_file,
    registry_domain,
    sidecar_path,
    sign_file,
    verify_file,
)
from aiweb3.provenance.content import segment_seconds
from aiweb3.provenance.hls import video_to_hls
from aiweb3.provenance.segment import DEFAULT_CHUNK_SIZE, DEFAULT_SEGMENT_SECONDS
from aiweb3.provenance.watch import Watcher, WatchEvent, anchor_sidecars

app = typer.Typer(
    help="Content authenticity: sign media with your wallet key, clip it, verify it.", no_args_is_help=True
)

ACCOUNT = typer.Option(None, "--account", help="Signer: keystore name/address or dev:N.")


def _registry(ctx: Context) -> CreatorRegistry:
    """The CreatorRegistry of the configured chain (deployed on demand on the local chain)."""
    chain = ctx.chain
    try:
        address = Deployments(ctx.settings.home, chain.chain_id).address("CreatorRegistry")
    except DeploymentError:
        if chain.chain_id != LOCAL_CHAIN_ID:
            raise
        err_console.print("[dim]deploying the system contracts on the local chain…[/dim]")
        address = deploy_system(chain, dev_account(0), ctx.settings.home)["CreatorRegistry"].address
    return CreatorRegistry(chain, address)


def _model_registry(ctx: Context) -> str | None:
    """The ModelRegistry address ai-generated claims are checked against (None: not deployed)."""
    try:
        return Deployments(ctx.settings.home, ctx.chain.chain_id).address("ModelRegistry")
    except DeploymentError:
        return None


def _manifest_id(ctx: Context, text: str) -> bytes:
    if text.startswith("0x") and len(text) == 66:
        return bytes.fromhex(text[2:])
    path = Path(text)
    side = path if path.name.endswith(".aiw.json") else _placed_sidecar(ctx, path)
    return SignedManifest.load(side).manifest_id


@app.command()
def register(
    handle: str = typer.Argument(..., help="3-32 chars: a-z 0-9 - _ ."), account: str | None = ACCOUNT
) -> None:
    """Bind a creator handle to your signing key on chain."""
    ctx = Context()
    signer = ctx.signer(account)
    _registry(ctx).register(signer, handle)
    console.print(f"@{handle} is now bound to {signer.address}")


@app.command()
def rotate(
    handle: str = typer.Argument(..., help="Your handle."),
    new_account: str = typer.Option(
        ..., "--new-account", help="The new key: keystore name/address or dev:N."
    ),
    account: str | None = ACCOUNT,
) -> None:
    """Rotate the handle's key: the old and the new key both sign (EIP-712); the new key submits."""
    ctx = Context()
    old, new = ctx.signer(account), ctx.signer(new_account)
    _registry(ctx).rotate(handle, old, new)
    console.print(f"@{handle}: key {old.address} retired, {new.address} is current")


@app.command("revoke-key")
def revoke_key(
    key: str = typer.Argument(..., help="The key (address) to revoke."),
    since: int | None = typer.Option(
        None, help="Unix time from which its signatures are void (default: now)."
    ),
    account: str | None = ACCOUNT,
) -> None:
    """Revoke a key of your handle from a point in time (e.g. when it leaked)."""
    ctx = Context()
    reg = _registry(ctx)
    reg.revoke_key(ctx.signer(account), key, since)
    status = reg.key_status(key)
    console.print(f"revoked {status.key} of @{status.handle} from unix time {status.revoked_since}")


@app.command()
def revoke(
    manifest: str = typer.Argument(..., help="A signed FILE, its FILE.aiw.json, or a manifest id (0x…)."),
    account: str | None = ACCOUNT,
) -> None:
    """Withdraw one of your manifests."""
    ctx = Context()
    mid = _manifest_id(ctx, manifest)
    _registry(ctx).revoke_manifest(ctx.signer(account), mid)
    console.print(f"revoked manifest 0x{mid.hex()}")


@app.command()
def sign(
    files: list[Path] = typer.Argument(
        ..., help="Files to sign (a FILE.aiw.json sidecar is written beside each)."
    ),
    account: str | None = ACCOUNT,
    claim: str = typer.Option("captured", help="captured | edited | ai-generated"),
    model_id: str | None = typer.Option(None, help="ai-generated: the ModelRegistry model id (0x…32 bytes)."),
    inference_tx: str | None = typer.Option(None, help="ai-generated: the verified inference's tx hash."),
    parent: list[str] = typer.Option([], help="Edited from: a signed FILE, sidecar or manifest id (repeat)."),
    scheme: str | None = typer.Option(None, help="bytes-v1 | wav-v1 | image-v1 (default: detected)."),
    segment_seconds: float = typer.Option(DEFAULT_SEGMENT_SECONDS, help="WAV: seconds per segment."),
    chunk_size: int = typer.Option(DEFAULT_CHUNK_SIZE, help="bytes-v1: bytes per segment."),
    anchor: bool = typer.Option(False, "--anchor", help="Also anchor the manifests (one transaction)."),
) -> None:
    """Sign files with your wallet key (EIP-712 in the CreatorRegistry's domain).

    The sidecar goes beside each file, or where you can write when that is a system or read-only
    folder (the current folder, else <home>/sidecars); the command says where.
    """
    ctx = Context()
    signer = ctx.signer(account)
    reg = _registry(ctx)
    claims = (Claim(claim, model_id, inference_tx),)
    parents = tuple("0x" + _manifest_id(ctx, p).hex() for p in parent)
    sides: list[Path] = []
    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task("signing", total=len(files))
        for path in files:
            signed = sign_file(
                path,
                signer,
                reg.domain,
                claims=claims,
                parents=parents,
                scheme=scheme,
                segment_seconds=segment_seconds,
                chunk_size=chunk_size,
                write_sidecar=False,
            )
            side, why = _sidecar_target(ctx, path)
            signed.save(side)
            sides.append(side)
            m = signed.manifest
            console.print(
                f"signed {path} ({m.segments} segments, {m.scheme}): manifest 0x{signed.manifest_id.hex()}",
                soft_wrap=True,
                highlight=False,
            )
            if why is None:
                console.print(f"  sidecar: {side}", soft_wrap=True, highlight=False)
            else:
                console.print(
                    f"  sidecar: {side} (not beside the file: {why}); verify with "
                    f"`aiweb3 content verify {path} --sidecar {side}`",
                    soft_wrap=True,
                    highlight=False,
                )
            expected = _SUFFIX_SCHEMES.get(path.suffix.lower())
            if scheme is None and expected is not None and m.scheme != expected[0]:
                err_console.print(
                    f"[yellow]note:[/yellow] {path.name} is named like {expected[1]}, but its content "
                    f"is {m.media_type}: signed as {m.scheme}, so clips of it are cut by "
                    f"{'bytes' if m.scheme == 'bytes-v1' else 'segments'}, not by time",
                    soft_wrap=True,
                    highlight=False,
                )
            progress.advance(task)
    if anchor:
        _anchor(ctx, reg, files, account, sides)


#: File name suffixes whose media is segmented by its own scheme: (scheme, what the name suggests).
_SUFFIX_SCHEMES = {
    ".wav": ("wav-v1", "WAV audio"),
    ".wave": ("wav-v1", "WAV audio"),
    ".png": ("image-v1", "a PNG image"),
    ".jpg": ("image-v1", "a JPEG image"),
    ".jpeg": ("image-v1", "a JPEG image"),
    ".gif": ("image-v1", "a GIF image"),
    ".webp": ("image-v1", "a WebP image"),
    ".m3u8": ("hls-v1", "an HLS playlist"),
}
#: Folders whose files are the system's: a sidecar is never written beside them.
_SYSTEM_DIRS = tuple(
    Path(p)
    for p in ("/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/boot", "/dev", "/proc",
              "/sys", "/run", "/var/lib", "/var/cache", "/var/log", "/var/spool", "/snap")
)  # fmt: skip


def _system(folder: Path) -> bool:
    return folder == Path("/") or any(folder == d or d in folder.parents for d in _SYSTEM_DIRS)


def _writable(folder: Path) -> str | None:
    """Why a sidecar may not go in ``folder`` (None when it may)."""
    if _system(folder):
        return f"{folder} is a system folder"
    if not os.access(folder, os.W_OK):
        return f"{folder} is not writable"
    return None


def _sidecar_target(ctx: Context, path: Path) -> tuple[Path, str | None]:
    """Where the sidecar of ``path`` goes, and why not beside it (None when it is)."""
    beside = sidecar_path(path)
    why = _writable(path.resolve().parent)
    if why is None:
        return beside, None
    cwd = Path.cwd()
    if _writable(cwd.resolve()) is None:
        return cwd / beside.name, why
    fallback = ctx.settings.home / "sidecars"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback / beside.name, why


def _placed_sidecar(ctx: Context, path: Path) -> Path:
    """The sidecar of ``path`` where ``sign`` put it (beside the file unless it could not be)."""
    beside = sidecar_path(path)
    if beside.exists() or _writable(path.resolve().parent) is None:
        return beside
    for other in (Path.cwd() / beside.name, ctx.settings.home / "sidecars" / beside.name):
        if other.exists():
            return other
    return beside


def _anchor(
    ctx: Context,
    reg: CreatorRegistry,
    files: list[Path],
    account: str | None,
    sidecars: list[Path] | None = None,
) -> None:
    anchored = anchor_sidecars(reg, ctx.signer(account), files, sidecars)
    a = anchored[0].anchoring
    if a is not None:
        console.print(f"anchored {len(files)} manifest(s): root {a.root} in block {a.block}")


@app.command("anchor")
def anchor_cmd(
    files: list[Path] = typer.Argument(
        ..., help="Signed files whose manifests to anchor in one transaction."
    ),
    account: str | None = ACCOUNT,
) -> None:
    """Anchor many manifests with one transaction (a Merkle root of their ids)."""
    ctx = Context()
    _anchor(ctx, _registry(ctx), files, account, [_placed_sidecar(ctx, f) for f in files])


@app.command()
def clip(
    file: Path = typer.Argument(..., help="A signed file."),
    start: float = typer.Option(..., help="Start (seconds for audio and HLS video, bytes for other files)."),
    end: float = typer.Option(..., help="End (seconds for audio and HLS video, bytes for other files)."),
    out: Path = typer.Option(..., "-o", "--out", help="Where to write the clip."),
    as_bytes: bool = typer.Option(
        False, "--bytes", help="Cut a video or audio file signed as bytes by byte offsets (not playable)."
    ),
) -> None:
    """Cut a clip of whole segments with a proof; no new signature is needed.

    Clips start and end on segment boundaries (for HLS video: keyframes); the command says where.
    """
    manifest = _signed_manifest(file)
    if manifest.scheme == "bytes-v1" and not as_bytes and _timed_media(file):
        raise InputError(
            f"{file.name} was signed as bytes (bytes-v1): --start/--end would be byte offsets and the clip "
            f"would not play. To clip video by time, cut it at keyframes (`aiweb3 content hls {file} -o "
            f"{file.stem}-hls`), sign {file.stem}-hls/index.m3u8 and clip that in seconds; --bytes cuts bytes"
        )
    result = clip_file(file, start, end, out)
    p = result.proof
    console.print(
        f"wrote {out} (segments {p.first}..{p.last} of {p.n}) and {sidecar_path(out).name}",
        soft_wrap=True,
        highlight=False,
    )
    console.print(f"  {_cut_where(manifest, p.first, p.last, start, end)}", soft_wrap=True, highlight=False)


#: Suffixes of audio and video that a bytes-v1 signature cannot clip by time.
_TIMED_SUFFIXES = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".mp3",
                   ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac", ".wav", ".wave"}  # fmt: skip


def _timed_media(path: Path) -> bool:
    """Audio or video by name or by an ISO media (MP4/MOV) header."""
    if path.suffix.lower() in _TIMED_SUFFIXES:
        return True
    try:
        with path.open("rb") as fh:
            return fh.read(12)[4:8] == b"ftyp"
    except OSError:
        return False


def _signed_manifest(path: Path) -> Manifest:
    """The signed manifest behind ``path``'s sidecar (a clip's source for a clip)."""
    side = sidecar_path(path)
    try:
        doc: Any = json.loads(side.read_bytes())
    except FileNotFoundError:
        raise InputError(f"no manifest at {side}; sign the file first (`aiweb3 content sign`)") from None
    except ValueError:
        raise InputError(f"{side} is not a manifest (not JSON); sign the file again") from None
    if isinstance(doc, dict) and doc.get("aiw") == "clip":
        doc = doc.get("source")
    return SignedManifest.from_json(doc).manifest


def _cut_where(m: Manifest, first: int, last: int, start: float, end: float) -> str:
    """Where a clip of segments ``first..last`` cut, against what was asked."""
    span = segment_seconds(m, first, last)
    if span is not None:
        bound = "keyframes" if m.scheme == "hls-v1" else "segment boundaries"
        return f"cut at {span[0]:g}..{span[1]:g} s of the original ({bound}; asked {start:g}..{end:g})"
    chunk = int(m.params.get("chunk_size", 0))
    stop = min(m.size, (last + 1) * chunk)
    asked = f"asked {start:g}..{end:g}"
    return f"cut bytes {first * chunk}..{stop} of the original (whole {chunk}-byte segments; {asked})"


@app.command()
def hls(
    video: Path = typer.Argument(..., help="A video file ffmpeg can read (MP4, MKV, MOV, …)."),
    out: Path = typer.Option(..., "-o", "--out", help="Directory for index.m3u8 and the .ts segments."),
    segment_seconds: float = typer.Option(6.0, help="Target seconds per segment (cut at keyframes)."),
) -> None:
    """Cut a video into HLS/MPEG-TS segments at keyframes (needs ffmpeg); then sign index.m3u8."""
    playlist = video_to_hls(video, out, segment_seconds)
    console.print(f"wrote {playlist}; sign it with `aiweb3 content sign {playlist}`")


class _RegistryOnDemand:
    """The chain's CreatorRegistry, reached (node started, contracts deployed) on first need only."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.registry: CreatorRegistry | None = None

    def __call__(self) -> CreatorRegistry:
        if self.registry is None:
            err_console.print(
                "[dim]an aiweb3 manifest is checked on chain (signing domain, creator key, "
                "revocations, anchors): connecting…[/dim]",
                highlight=False,
            )
            self.registry = _registry(self.ctx)
        return self.registry


@app.command()
def verify(
    files: list[Path] = typer.Argument(..., help="Files (originals or clips) with their .aiw.json sidecars."),
    offline: bool = typer.Option(False, help="Skip the chain: signature and content only."),
    chain_id: int | None = typer.Option(None, help="Offline: the chain id manifests must be signed for."),
    registry: str | None = typer.Option(None, help="Offline: the CreatorRegistry address they must name."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON report per file."),
    details: bool = typer.Option(True, help="List every check."),
    sidecar: Path | None = typer.Option(
        None, help="The manifest when it is not beside the file (one file only)."
    ),
) -> None:
    """Verify signed files or clips; exits 1 if any is not authentic.

    The chain is reached (the local node started if needed) only for a file with an aiweb3
    manifest; a file carrying only C2PA credentials is checked locally.
    """
    ctx = Context()
    trust = None
    if offline and (chain_id is None) != (registry is None):
        raise InputError("give both --chain-id and --registry to pin the signing domain offline")
    if chain_id is not None and registry is not None:
        if not offline:
            raise InputError(
                "--chain-id and --registry are for --offline; online the chain's registry is used"
            )
        trust = registry_domain(chain_id, registry)
    if sidecar is not None and len(files) != 1:
        raise InputError("--sidecar names the manifest of one file; verify one file at a time with it")
    reg = None if offline else _RegistryOnDemand(ctx)
    models = None if offline else (lambda: _model_registry(ctx))
    all_ok = True
    for path in files:
        side = sidecar or _placed_sidecar(ctx, path)
        report = verify_file(path, registry=reg, trust=trust, model_registry=models, sidecar=side)
        all_ok &= report.ok
        if as_json:
            console.print_json(json.dumps(report.to_json()))
            continue
        style = "green" if report.ok else "bold red"
        console.print(f"[{style}]{path}: {report.headline()}[/{style}]", highlight=False, soft_wrap=True)
        if details:
            for c in report.checks:
                mark = {True: "ok", False: "FAIL", None: "--"}[c.ok]
                console.print(f"  {mark:>4} {c.name}: {c.detail}", highlight=False, soft_wrap=True)
    if not all_ok:
        raise typer.Exit(1)


@app.command()
def whois(who: str = typer.Argument(..., help="A key address or a handle.")) -> None:
    """Show a key's handle and status, or a handle's current key."""
    ctx = Context()
    reg = _registry(ctx)
    if who.startswith("0x"):
        s = reg.key_status(who)
        if not s.registered:
            console.print(f"{s.key}: not registered")
            return
        state = "current" if s.current else ("revoked" if s.revoked_since else "retired")
        console.print(
            f"{s.key}: @{s.handle}, {state} "
            f"(added {s.added_at}, retired {s.retired_at}, revoked {s.revoked_since})"
        )
    else:
        key = reg.current_key(who)
        console.print(f"@{who}: {key or 'no current key'}")


@app.command()
def watch(
    directory: Path = typer.Argument(..., help="Directory to watch."),
    account: str | None = ACCOUNT,
    every: int = typer.Option(10, help="Anchor every N signed files…"),
    interval: float = typer.Option(30.0, help="…or every T seconds, whichever comes first."),
    poll: float = typer.Option(0.5, help="Seconds between directory scans."),
    max_files: int | None = typer.Option(None, help="Stop after signing this many files."),
    duration: float | None = typer.Option(None, help="Stop after this many seconds."),
) -> None:
    """Sign each new file in DIR as it appears and anchor in batches (Ctrl-C stops, anchoring the rest)."""
    ctx = Context()
    if not directory.is_dir():
        raise InputError(f"{directory} is not a directory")

    def show(event: WatchEvent) -> None:
        names = ", ".join(p.name for p in event.paths)
        console.print(f"{event.kind} {names}: {event.detail}", highlight=False, soft_wrap=True)

    watcher = Watcher(
        directory,
        _registry(ctx),
        ctx.signer(account),
        every=every,
        interval=interval,
        poll=poll,
        on_event=show,
    )
    err_console.print(f"watching {directory} (anchor every {every} files or {interval:g} s; Ctrl-C stops)")
    watcher.run(max_files=max_files, duration=duration)
