"""With keys: a second, bounded pass over a capture file after the roam engine ran
(analyzer.decrypt.passes); the recovery it measures (recovery), the keys it follows (keys) and
the decrypted copy it writes when asked (copy)."""

from analyzer.decrypt.passes import DecryptPass, DecryptStats, decrypt_capture, post_pass
from analyzer.decrypt.recovery import WINDOW_FRAMES

__all__ = ["WINDOW_FRAMES", "DecryptPass", "DecryptStats", "decrypt_capture", "post_pass"]
