# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled core: pcap/pcapng record walk, frame classifier, FCS, lean header fields.

Every function here is a port of a pure-Python reference and must give exactly its result:

  PcapReader     analyzer.capture.pcap.read_pcap      (records, CaptureInfo, warnings)
  PcapngReader   analyzer.capture.pcapng.read_pcapng
  peek           analyzer.dot11.decode.peek
  crc32          zlib.crc32
  run_capture    analyzer.run.engine.Engine.run_capture (with data_fields, beacon_fields and
                 ack_receiver of analyzer.dot11.decode, sharing their memo)
  _Tables        the tracker's per-frame work for the frames that change nothing but its
                 per-frame tables (Tracker.data_seen, ack_seen, beacon_seen, and feed of
                 Block Acks and Probe Requests), done on the tracker's own objects; every
                 other frame goes to those methods (tests/core/test_tables.py lists the
                 Python code this mirrors and fails when it changes)

Safety: bounds checking is off for speed, so every read of record bytes goes through a length
checked here first (`n`, the record's captured length, or the buffer's filled length). A reader
never reads past what the stream gave it; a length field that lies costs what the file holds
(the buffer grows by doubling only as bytes arrive).
"""

from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_Resize
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem
from cpython.list cimport PyList_GET_ITEM
from cpython.object cimport PyObject
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memcmp, memcpy, memmove, memset

from analyzer.capture import pcap as _pcap
from analyzer.capture import pcapng as _pcapng
from analyzer.capture.records import RawRecord

cdef object _tnew = tuple.__new__
cdef object _RawRecord = RawRecord
cdef object _warn = _pcap.warn
cdef object _mark_truncated = _pcap.mark_truncated
cdef object _count_empty = _pcap.count_empty
cdef object _clamp = _pcapng._clamp
cdef object TS_MIN = _pcapng.TS_MIN
cdef object TS_MAX = _pcapng.TS_MAX

cdef Py_ssize_t BUFSIZE = 1 << 19  # 512 KiB reads into one reused buffer
cdef uint32_t MAX_RECORD = 0x4000000
cdef int64_t NS = 1000000000


# --- CRC-32 (IEEE 802.3, as zlib.crc32): PCLMULQDQ folding where the CPU has it, slice-by-8 --

cdef extern from "crc_fold.h":
    int crc_fold_ready() nogil
    uint32_t crc_fold(const uint8_t* buf, size_t length, uint32_t crc) nogil

cdef uint32_t _crc_table[8][256]
cdef bint _crc_folds = crc_fold_ready()


cdef void _crc_init() noexcept:
    cdef uint32_t c, i, k
    for i in range(256):
        c = i
        for k in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        _crc_table[0][i] = c
    for i in range(256):
        c = _crc_table[0][i]
        for k in range(1, 8):
            c = _crc_table[0][c & 0xFF] ^ (c >> 8)
            _crc_table[k][i] = c


_crc_init()


cdef inline uint32_t _crc32(const uint8_t* p, Py_ssize_t n) noexcept nogil:
    cdef uint32_t c = ~(<uint32_t>0)
    cdef uint32_t a, b
    cdef Py_ssize_t folded
    if _crc_folds and n >= 64:
        folded = n & ~(<Py_ssize_t>15)
        c = crc_fold(p, folded, c)
        p += folded
        n -= folded
    while n >= 8:
        a = c ^ (<uint32_t>p[0] | <uint32_t>p[1] << 8 | <uint32_t>p[2] << 16
                 | <uint32_t>p[3] << 24)
        b = <uint32_t>p[4] | <uint32_t>p[5] << 8 | <uint32_t>p[6] << 16 | <uint32_t>p[7] << 24
        c = (_crc_table[7][a & 0xFF] ^ _crc_table[6][(a >> 8) & 0xFF]
             ^ _crc_table[5][(a >> 16) & 0xFF] ^ _crc_table[4][a >> 24]
             ^ _crc_table[3][b & 0xFF] ^ _crc_table[2][(b >> 8) & 0xFF]
             ^ _crc_table[1][(b >> 16) & 0xFF] ^ _crc_table[0][b >> 24])
        p += 8
        n -= 8
    while n > 0:
        c = _crc_table[0][(c ^ p[0]) & 0xFF] ^ (c >> 8)
        p += 1
        n -= 1
    return ~c


def crc32(const uint8_t[::1] data not None, bint fold=True) -> int:
    """zlib.crc32(data) (for tests; fold=False: the table alone, as on a CPU without PCLMULQDQ)."""
    global _crc_folds
    cdef bint was = _crc_folds
    _crc_folds = was and fold
    try:
        return _crc32(&data[0] if data.shape[0] else NULL, data.shape[0])
    finally:
        _crc_folds = was


def crc_folds() -> bool:
    """Whether CRC-32 runs folded with PCLMULQDQ on this CPU."""
    return _crc_folds


# --- the buffered source ---------------------------------------------------------------------

cdef class _Source:
    """A byte stream read in BUFSIZE pieces into one bytearray; `pos` is the next unread byte."""

    cdef bytearray buf
    cdef Py_ssize_t pos, end, cap
    cdef object readinto, read1

    def __cinit__(self, stream):
        self.buf = bytearray(BUFSIZE)
        self.cap = BUFSIZE
        self.pos = self.end = 0
        # readinto straight into the buffer (a raw file: one read(2), no copy; the capture
        # layer's _Prefixed: one read1 of a pipe, so its records come as they arrive); else
        # read1 and a copy
        self.readinto = getattr(stream, "readinto", None)
        self.read1 = getattr(stream, "read1", None) or stream.read

    cdef inline const uint8_t* at(self, Py_ssize_t off) noexcept:
        return <const uint8_t*>PyByteArray_AS_STRING(self.buf) + off

    cdef Py_ssize_t fill(self) except -1:
        """One read into buf[end:cap]; returns how many bytes came (0: EOF)."""
        cdef Py_ssize_t got, room = self.cap - self.end
        if self.readinto is not None:
            view = memoryview(self.buf)[self.end:self.cap]
            try:
                got = self.readinto(view) or 0
            finally:
                view.release()
        else:
            chunk = self.read1(room)
            if chunk is not None and type(chunk) is not bytes:
                chunk = bytes(chunk)
            got = len(chunk) if chunk else 0
            if 0 < got <= room:
                memcpy(PyByteArray_AS_STRING(self.buf) + self.end, PyBytes_AS_STRING(chunk), got)
        if got > room:
            raise ValueError("the stream returned more than asked")
        if got > 0:
            self.end += got
        return got if got > 0 else 0

    cdef Py_ssize_t want(self, Py_ssize_t need) except -1:
        """Make up to `need` bytes from `pos` available; returns how many are (< need: EOF)."""
        cdef Py_ssize_t have = self.end - self.pos
        cdef Py_ssize_t grow
        if have >= need:
            return need
        if self.pos:
            if have:
                memmove(PyByteArray_AS_STRING(self.buf), PyByteArray_AS_STRING(self.buf) + self.pos,
                        have)
            self.pos = 0
            self.end = have
            if self.cap > BUFSIZE and have < BUFSIZE and need <= BUFSIZE:
                PyByteArray_Resize(self.buf, BUFSIZE)  # a huge record passed: shrink back
                self.cap = BUFSIZE
        while self.end < need:
            if self.end == self.cap:
                grow = self.cap * 2
                if grow > need + BUFSIZE:
                    grow = need + BUFSIZE
                PyByteArray_Resize(self.buf, grow)
                self.cap = grow
            if self.fill() == 0:
                break
        return min(self.end - self.pos, need)


# --- readers ---------------------------------------------------------------------------------

cdef inline uint32_t _u32(const uint8_t* p, bint big) noexcept:
    if big:
        return <uint32_t>p[0] << 24 | <uint32_t>p[1] << 16 | <uint32_t>p[2] << 8 | p[3]
    return <uint32_t>p[3] << 24 | <uint32_t>p[2] << 16 | <uint32_t>p[1] << 8 | p[0]


cdef inline uint32_t _u16(const uint8_t* p, bint big) noexcept:
    if big:
        return <uint32_t>p[0] << 8 | p[1]
    return <uint32_t>p[1] << 8 | p[0]


cdef class Reader:
    """What both readers share: the generator protocol of the Python readers (the first
    `next` primes and gives None, then RawRecords), the current record for the compiled loop,
    and CaptureInfo kept as the Python reader keeps it."""

    cdef _Source src
    cdef object info, on_end, stream
    cdef int state  # 0: not primed, 1: records, 2: the end is due, 3: ended
    # the current record: bytes at src.at(cur_off), cur_len of them
    cdef Py_ssize_t cur_off, cur_len
    cdef Py_ssize_t index
    cdef object cur_ts, first_ts
    cdef int cur_linktype
    cdef object cur_gid
    cdef object cur_olen
    cdef Py_ssize_t flushed

    def __cinit__(self, stream, info, on_end):
        self.src = _Source(stream)
        self.stream = stream
        self.info = info
        self.on_end = on_end
        self.state = 0
        self.index = 0
        self.flushed = 0
        self.cur_ts = None
        self.first_ts = None

    cdef int prime(self) except -1:
        return 0

    cdef int advance(self) except -1:
        """Step to the next record: 1 with the current record set, 0 at the end."""
        return 0

    cdef inline void took(self, object ts) noexcept:
        self.index += 1
        self.cur_ts = ts
        if self.index == 1:
            self.first_ts = ts

    cdef int flush(self) except -1:
        """CaptureInfo as the Python reader leaves it after yielding the current record."""
        if self.flushed != self.index:
            self.flushed = self.index
            info = self.info
            info.frames = self.index
            info.last_ts_ns = self.cur_ts
            if info.first_ts_ns is None and self.first_ts is not None:
                info.first_ts_ns = self.first_ts
        return 0

    cdef int finish(self) except -1:
        if self.state != 3:
            self.state = 3
            self.flush()
            self.on_end()
        return 0

    cdef int next_raw(self) except -1:
        """The compiled loop's step: 1 with the current record set, 0 at the end (on_end
        called, as the Python generator's `finally`)."""
        if self.state == 0:
            self.prime()
            if self.state == 0:
                self.state = 1
        if self.state == 1:
            try:
                if self.advance():
                    return 1
            except BaseException:
                self.finish()
                raise
            self.state = 2
        self.finish()
        return 0

    cdef object record(self):
        """The current record as the Python reader yields it."""
        return _tnew(_RawRecord, (self.index, self.cur_ts, self.cur_linktype,
                                  PyBytes_FromStringAndSize(<char*>self.src.at(self.cur_off),
                                                            self.cur_len),
                                  self.cur_gid, self.cur_olen))

    def __iter__(self):
        return self

    def __next__(self):
        if self.state == 0:
            try:
                self.prime()
            except BaseException:
                self.finish()
                raise
            if self.state == 0:
                self.state = 1
            return None  # analyzer.capture.pcap.Prime
        if self.next_raw():
            self.flush()
            return self.record()
        raise StopIteration

    def close(self):
        if self.state != 3:
            self.finish()

    def __del__(self):
        # the generator's `finally` runs when it is collected unfinished
        if self.state != 3 and self.state != 0:
            try:
                self.finish()
            except Exception:
                pass


cdef class PcapReader(Reader):
    cdef bint big
    cdef int64_t fmul
    cdef uint32_t limit
    cdef Py_ssize_t base  # file offset of src byte 0

    cdef int prime(self) except -1:
        header = _pcap._header(self.stream, self.info)  # before the buffer reads anything
        if header is None:
            self.state = 2
            return 0
        endian, fmul, linktype, limit = header
        self.big = endian == ">"
        self.fmul = fmul
        self.cur_linktype = linktype
        self.limit = limit
        self.cur_gid = 0
        self.base = 24
        return 0

    cdef int advance(self) except -1:
        cdef _Source src = self.src
        cdef Py_ssize_t have = src.want(16)
        cdef const uint8_t* h
        cdef uint32_t sec, frac, caplen, olen
        cdef Py_ssize_t start
        if have < 16:
            src.pos += have
            if have:
                self.flush()
                _mark_truncated(self.info,
                                f"file ends inside record {self.index + 1} at byte {self.base}")
            return 0
        h = src.at(src.pos)
        sec = _u32(h, self.big)
        frac = _u32(h + 4, self.big)
        caplen = _u32(h + 8, self.big)
        olen = _u32(h + 12, self.big)
        start = self.base  # the record's offset in the file
        if caplen > self.limit:
            self.flush()
            _mark_truncated(self.info, f"corrupt record {self.index + 1} at byte {start}: "
                            f"captured length {caplen} exceeds {self.limit}")
            return 0
        have = src.want(16 + <Py_ssize_t>caplen)
        if have < 16 + <Py_ssize_t>caplen:
            self.flush()
            _mark_truncated(self.info,
                            f"file ends inside record {self.index + 1} at byte {start}")
            return 0
        if caplen == 0:
            self.flush()
            if _count_empty(self.info, self.index, start):
                return 0
        self.cur_off = src.pos + 16
        self.cur_len = caplen
        self.cur_olen = olen
        self.took(<int64_t>sec * NS + <int64_t>frac * self.fmul)
        src.pos += 16 + caplen
        self.base += 16 + caplen
        return 1


def pcap_records(stream, info, on_end):
    """analyzer.capture.pcap.read_pcap, compiled."""
    reader = PcapReader(stream, info, on_end)
    return reader


cdef class PcapngReader(Reader):
    cdef bint big
    cdef list ifaces
    cdef Py_ssize_t offset
    cdef bint pending, primed
    cdef Py_ssize_t blk_pos, blk_len, next_pos
    cdef uint32_t btype
    cdef object last_ts
    # the interface the previous record used
    cdef Py_ssize_t c_iface
    cdef int c_linktype
    cdef object c_gid
    cdef int64_t c_mul
    cdef bint c_simple
    cdef object c_params

    cdef int prime(self) except -1:
        self.ifaces = []
        self.offset = 0
        self.last_ts = 0
        self.big = False
        self.c_iface = -1
        self.next_pos = -1
        self.primed = False
        if self.read_block():
            self.pending = True
        else:
            self.state = 2
        self.primed = True
        return 0

    cdef int stop(self, bint short, str what) except -1:
        self.flush()
        where = f"at byte {self.offset} (after record {self.index})"
        if short:
            _mark_truncated(self.info, f"file ends inside {what} {where}")
        else:
            _mark_truncated(self.info, f"corrupt {what} {where}")
        return 0

    cdef int read_block(self) except -1:
        """Read blocks until one that is not a section header or an interface: 1 with it at
        blk_pos (blk_len bytes, type btype), 0 at the end (warnings as the Python reader)."""
        cdef _Source src = self.src
        cdef Py_ssize_t have, blen
        cdef const uint8_t* h
        cdef uint32_t btype, bl
        while True:
            if self.next_pos >= 0:
                src.pos = self.next_pos
                self.next_pos = -1
            have = src.want(8)
            if have < 8:
                src.pos += have
                if have:
                    self.stop(True, "block header")
                return 0
            h = src.at(src.pos)
            if h[0] == 0x0A and h[1] == 0x0D and h[2] == 0x0D and h[3] == 0x0A:
                have = src.want(12)
                if have < 12:
                    self.stop(True, "section header byte-order magic")
                    return 0
                h = src.at(src.pos)
                if h[8] == 0x4D and h[9] == 0x3C and h[10] == 0x2B and h[11] == 0x1A:
                    self.big = False
                elif h[8] == 0x1A and h[9] == 0x2B and h[10] == 0x3C and h[11] == 0x4D:
                    self.big = True
                else:
                    self.stop(False, "section header byte-order magic")
                    return 0
                bl = _u32(h + 4, self.big)
                if bl < 12 or bl & 3 or bl > MAX_RECORD or bl < 28:
                    self.stop(False, f"section header length {bl}")
                    return 0
                blen = bl
                have = src.want(blen)
                h = src.at(src.pos)
                if have < blen or memcmp(h + blen - 4, h + 4, 4) != 0:
                    self.stop(have < blen, "section header")
                    return 0
                self.ifaces = []
                self.c_iface = -1
                self.offset += blen
                src.pos += blen
                continue
            btype = _u32(h, self.big)
            bl = _u32(h + 4, self.big)
            if bl < 12 or bl & 3 or bl > MAX_RECORD:
                self.stop(False, f"block length {bl}")
                return 0
            blen = bl
            have = src.want(blen)
            h = src.at(src.pos)
            if have < blen or memcmp(h + blen - 4, h + 4, 4) != 0:
                self.stop(have < blen, f"block type {btype:#x}")
                return 0
            if btype == 1:  # IDB
                if blen < 20:
                    self.flush()
                    _mark_truncated(self.info,
                                    f"corrupt interface block at byte {self.offset} skipped")
                else:
                    lay = _pcapng._LAYOUTS[">" if self.big else "<"]
                    body = PyBytes_FromStringAndSize(<char*>h + 8, blen - 8)
                    iface = _pcapng.parse_idb(body, lay, len(self.info.linktypes))
                    self.ifaces.append(iface)
                    self.info.linktypes.append(iface.linktype)
                    self.c_iface = -1
                self.offset += blen
                src.pos += blen
                continue
            self.btype = btype
            self.blk_pos = src.pos
            self.blk_len = blen
            self.next_pos = src.pos + blen
            return 1

    cdef int advance(self) except -1:
        cdef _Source src
        cdef const uint8_t* b
        cdef Py_ssize_t blen, room, caplen, start
        cdef uint32_t btype, iface_id, hi, lo, olen, snaplen
        cdef bint has_ts
        while True:
            if self.pending:
                self.pending = False
            elif not self.read_block():
                return 0
            src = self.src
            btype = self.btype
            blen = self.blk_len
            b = src.at(self.blk_pos) + 8  # the body, trailer included
            has_ts = True
            if btype == 6 and blen >= 32:  # EPB
                iface_id = _u32(b, self.big)
                hi = _u32(b + 4, self.big)
                lo = _u32(b + 8, self.big)
                caplen = _u32(b + 12, self.big)
                olen = _u32(b + 16, self.big)
                room = blen - 32
            elif btype == 3 and blen >= 16 and self.ifaces:  # SPB
                iface_id = 0
                has_ts = False
                hi = lo = 0
                olen = _u32(b, self.big)
                snaplen = self.ifaces[0].snaplen
                caplen = olen
                if blen - 16 < caplen:
                    caplen = blen - 16
                if (snaplen if snaplen else olen) < caplen:
                    caplen = snaplen if snaplen else olen
                room = caplen
            elif btype == 2 and blen >= 32:  # PB
                iface_id = _u16(b, self.big)
                hi = _u32(b + 4, self.big)
                lo = _u32(b + 8, self.big)
                caplen = _u32(b + 12, self.big)
                olen = _u32(b + 16, self.big)
                room = blen - 32
            else:
                if btype == 6 or btype == 3 or btype == 2:
                    self.flush()
                    _mark_truncated(self.info, f"unusable packet block {btype} at byte "
                                    f"{self.offset} skipped")
                self.offset += blen
                continue
            if caplen > room or iface_id >= <uint32_t>len(self.ifaces):
                self.flush()
                _mark_truncated(self.info, f"packet block at byte {self.offset}: bad length "
                                "or interface, skipped")
                self.offset += blen
                continue
            if caplen == 0:
                self.flush()
                if _count_empty(self.info, self.index + 1, self.offset):
                    return 0
            if <Py_ssize_t>iface_id != self.c_iface:
                self.use_iface(iface_id)
            start = 4 if btype == 3 else 20
            self.cur_off = self.blk_pos + 8 + start
            self.cur_len = caplen
            self.cur_olen = olen
            self.cur_linktype = self.c_linktype
            self.cur_gid = self.c_gid
            if has_ts:
                self.last_ts = self.timestamp((<uint64_t>hi) << 32 | lo)
                if not TS_MIN <= self.last_ts <= TS_MAX:  # beyond int64 ns: clamped, warned
                    self.flush()
                    self.last_ts = _clamp(self.info, self.last_ts, self.offset, self.index + 1)
            self.offset += blen
            self.took(self.last_ts)
            return 1

    cdef int use_iface(self, uint32_t iface_id) except -1:
        linktype, gid, _snaplen, mul, shift, div, off = self.ifaces[iface_id]
        self.c_iface = iface_id
        self.c_linktype = linktype
        self.c_gid = gid
        self.c_params = (mul, shift, div, off)
        self.c_simple = shift == 0 and div == 1 and off == 0 and 0 < mul <= NS
        self.c_mul = mul if self.c_simple else 0
        return 0

    cdef object timestamp(self, uint64_t raw):
        if self.c_simple and raw <= <uint64_t>(0x7FFFFFFFFFFFFFFF // self.c_mul):
            return <int64_t>raw * self.c_mul
        mul, shift, div, off = self.c_params
        return ((int(raw) * mul) >> shift) // div + off


def pcapng_records(stream, info, on_end):
    """analyzer.capture.pcapng.read_pcapng, compiled."""
    return PcapngReader(stream, info, on_end)


# --- the classifier --------------------------------------------------------------------------

cdef int K_DATA = 17
cdef int K_EAPOL = 16
cdef int K_CONTROL = 18
cdef int K_BEACON = 8
cdef int K_PROBE_REQ = 4
cdef int UNSURE = 99
cdef int _mgmt_kind[16]
_mgmt_kind[:] = [0, 1, 2, 3, 4, 5, 15, 15, 8, 15, 10, 11, 12, 13, 15, 15]
cdef bint _kinds_ready = False


cdef int _init_kinds() except -1:
    """The Kind values and the management table from analyzer.dot11 (imported on first use,
    so that the readers, used by the capture stage, import nothing to its right)."""
    import importlib

    d = importlib.import_module("analyzer.dot11.decode")
    from analyzer.dot11.records import Kind

    global K_DATA, K_EAPOL, K_CONTROL, K_BEACON, K_PROBE_REQ, UNSURE, _kinds_ready
    if _kinds_ready:
        return 0
    K_DATA, K_EAPOL, K_CONTROL, K_BEACON = (int(Kind.DATA), int(Kind.EAPOL), int(Kind.CONTROL),
                                            int(Kind.BEACON))
    K_PROBE_REQ = int(Kind.PROBE_REQ)
    UNSURE = d.UNSURE
    for i, k in enumerate(d._MGMT_KIND):
        _mgmt_kind[i] = k
    _kinds_ready = True
    return 0


cdef inline bint _eapol_llc(const uint8_t* d, Py_ssize_t n, Py_ssize_t p) noexcept:
    """data[p : p + 8] in (SNAP + 88 8e, SNAP + 88 c7)."""
    if p < 0 or p + 8 > n:
        return False
    return (d[p] == 0xAA and d[p + 1] == 0xAA and d[p + 2] == 0x03 and d[p + 3] == 0
            and d[p + 4] == 0 and d[p + 5] == 0 and d[p + 6] == 0x88
            and (d[p + 7] == 0x8E or d[p + 7] == 0xC7))


cdef int _peek(int linktype, const uint8_t* d, Py_ssize_t n) noexcept:
    """analyzer.dot11.decode.peek on d[:n]; an IndexError there is UNSURE here."""
    cdef Py_ssize_t s, h, p
    cdef uint32_t t
    cdef int fc0, fc1, ty
    if linktype == 127 or linktype == 192:
        if n < 4:
            return UNSURE
        s = d[2] | d[3] << 8
    elif linktype == 105:
        s = 0
    elif linktype == 1:
        if n < 14:
            return UNSURE
        t = d[12] << 8 | d[13]
        if t == 0x8100 or t == 0x88A8:
            if n < 18:
                return UNSURE
            t = d[16] << 8 | d[17]
        return K_EAPOL if t == 0x888E or t == 0x88C7 else -1
    elif linktype == 163:
        if n < 8:
            return UNSURE
        s = <Py_ssize_t>(<uint32_t>d[4] << 24 | <uint32_t>d[5] << 16 | <uint32_t>d[6] << 8 | d[7])
    elif linktype == 119:
        if n < 1:
            return UNSURE
        if d[0] == 0x80:
            if n < 8:
                return UNSURE
            s = <Py_ssize_t>(<uint32_t>d[4] << 24 | <uint32_t>d[5] << 16
                             | <uint32_t>d[6] << 8 | d[7])
        else:
            s = 144
    else:
        return -1
    if s >= n:
        return UNSURE
    fc0 = d[s]
    if fc0 & 0x03:
        return UNSURE
    ty = fc0 & 0x0C
    if ty == 0:
        return _mgmt_kind[fc0 >> 4]
    if ty != 8:
        return K_CONTROL if fc0 == 0xD4 or fc0 == 0x94 else -1
    if s + 1 >= n:
        return UNSURE
    fc1 = d[s + 1]
    if fc1 & 0x44 or fc0 & 0x40:  # protected or a fragment, or a subtype without a body
        return K_DATA
    h = 30 if fc1 & 0x03 == 0x03 else 24
    if fc0 & 0x80:
        if s + h >= n:
            return UNSURE
        if d[s + h] & 0x80:  # QoS Control: A-MSDU Present, the body is subframes
            return K_DATA
        h += 6 if fc1 & 0x80 else 2
    p = s + h
    if _eapol_llc(d, n, p):
        return K_EAPOL
    if h & 3:
        p += 4 - (h & 3)
        if _eapol_llc(d, n, p):
            return K_EAPOL
    return K_DATA


def peek(int linktype, const uint8_t[::1] data not None) -> int:
    """analyzer.dot11.decode.peek, compiled (for tests and the fuzz targets)."""
    _init_kinds()
    return _peek(linktype, &data[0] if data.shape[0] else NULL, data.shape[0])


# --- the lean fields (analyzer.dot11.decode's memo) ------------------------------------------

cdef enum:
    LEAN_FULL = 0     # call decode(rec)
    LEAN_FIELDS = 1   # `out` holds the fields
    LEAN_FCS = 2      # an FCS mismatch: the Malformed decode would give


cdef struct PnFields:
    # analyzer.dot11.protected.ccmp_at and analyzer.dot11.decode.pn_fields: the PN, key ID,
    # TID (-1: none), sequence number and MIC of a CCMP/GCMP frame
    uint64_t pn, mic
    int key_id, tid, seq


cdef bint _pn_fields(const uint8_t* d, Py_ssize_t it_len, Py_ssize_t at, Py_ssize_t end,
                     PnFields* out) noexcept:
    """False for no CCMP/GCMP header."""
    cdef uint64_t mic = 0
    cdef int i
    cdef Py_ssize_t p
    cdef const uint8_t* h = d + at
    if end - at < 16:
        return False
    if not h[3] & 0x20 or h[2] or h[1] == ((h[0] | 0x20) & 0x7F):
        return False
    out.pn = (<uint64_t>h[0] | <uint64_t>h[1] << 8 | <uint64_t>h[4] << 16
              | <uint64_t>h[5] << 24 | <uint64_t>h[6] << 32 | <uint64_t>h[7] << 40)
    for i in range(8):
        mic |= <uint64_t>d[end - 8 + i] << (8 * i)
    out.mic = mic
    p = it_len + 22
    out.tid = d[p + 2] & 0x0F if d[it_len] & 0x80 else -1
    out.key_id = h[3] >> 6
    out.seq = (d[p] | d[p + 1] << 8) >> 4
    return True


cdef object _pn_tuple(PnFields* f):
    """The PN fields as decode.pn_fields gives them."""
    return (f.pn, f.key_id, None if f.tid < 0 else f.tid, f.seq, f.mic)


DEF MEMO_SLOTS = 1024  # a power of two
DEF PN_SLOTS = 1024  # a power of two
DEF PROBE_SLOTS = 1024  # a power of two


cdef inline uint64_t _key_hash(const uint8_t* p, Py_ssize_t n) noexcept:
    """A quick 64-bit hash of a memo key (equal keys are compared in full on a hit)."""
    return _hash_more(0x9E3779B97F4A7C15ULL ^ <uint64_t>n, p, n)


cdef inline uint64_t _hash_more(uint64_t h, const uint8_t* p, Py_ssize_t n) noexcept:
    """_key_hash of bytes that follow those `h` hashed."""
    cdef uint64_t w
    while n >= 8:
        memcpy(&w, p, 8)
        h = (h ^ w) * 0xFF51AFD7ED558CCDULL
        h ^= h >> 32
        p += 8
        n -= 8
    w = 0
    if n > 0:
        memcpy(&w, p, n)
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL
    return h ^ (h >> 29)


cdef class _Lean:
    """data_fields, beacon_fields and ack_receiver of analyzer.dot11.decode, on a pointer."""

    cdef dict memo
    cdef object beacon_kind, after_tsf, errors
    cdef object out
    cdef bint has_pn  # data: `out` is (fc_flags, A1, A2, subtype), then these PN fields
    cdef PnFields pn
    cdef Py_ssize_t body_off, body_len  # a beacon's body after the TSF (beacon_head)
    cdef object body  # those bytes (beacon_elements)
    # The memo's entries by a hash of their key, so a frame finds its entry without a bytes
    # object. An entry is what decoding gives for any frame with its key and prefix, so one
    # kept here after the memo let it go (or replaced it) is still right for such a frame.
    cdef uint64_t slot_hash[MEMO_SLOTS]
    cdef list slot_key, slot_ent

    def __cinit__(self, memo, beacon_kind, after_tsf, errors):
        self.memo = memo
        self.beacon_kind = beacon_kind
        self.after_tsf = after_tsf
        self.errors = errors
        memset(self.slot_hash, 0, sizeof(self.slot_hash))
        self.slot_key = [None] * MEMO_SLOTS
        self.slot_ent = [None] * MEMO_SLOTS

    cdef object entry(self, const uint8_t* d, Py_ssize_t n, Py_ssize_t it_len):
        """The memo entry for these bytes whose prefix matches, else None."""
        cdef Py_ssize_t stop = it_len + 22
        cdef Py_ssize_t klen
        cdef PyObject* hit
        cdef object ent, prefix, key
        cdef uint64_t h
        cdef size_t slot
        if stop > n:
            stop = n
        klen = stop - 16 if stop > 16 else 0
        h = _key_hash(d + 16, klen)
        slot = h & (MEMO_SLOTS - 1)
        key = <object>PyList_GET_ITEM(self.slot_key, slot)
        if self.slot_hash[slot] == h and key is not None:
            if (PyBytes_GET_SIZE(key) == klen
                    and memcmp(PyBytes_AS_STRING(key), d + 16, klen) == 0):
                ent = <object>PyList_GET_ITEM(self.slot_ent, slot)
                return self.matching(ent, d, n)
        key = PyBytes_FromStringAndSize(<char*>d + 16, klen)
        hit = PyDict_GetItem(self.memo, key)
        if hit == NULL:
            return None
        ent = <object>hit
        self.slot_key[slot] = key
        self.slot_ent[slot] = ent
        self.slot_hash[slot] = h
        return self.matching(ent, d, n)

    cdef inline object matching(self, object ent, const uint8_t* d, Py_ssize_t n):
        prefix = <object>PyTuple_GET_ITEM(ent, 0)
        if (PyBytes_GET_SIZE(prefix) > n
                or memcmp(PyBytes_AS_STRING(prefix), d, PyBytes_GET_SIZE(prefix)) != 0):
            return None
        return ent

    cdef int data(self, const uint8_t* d, Py_ssize_t n, bint check_fcs=True) except -1:
        """decode.data_fields (check_fcs=False: of a frame the kernel cut to its header, as
        decode(rec, check_fcs=False) takes it: its last 4 bytes as the FCS, unchecked)."""
        cdef Py_ssize_t it_len, hlen, p, end
        if n < 16:
            return LEAN_FULL
        it_len = d[2] | d[3] << 8
        ent = self.entry(d, n, it_len)
        if ent is None or ent[4] != 2:
            return LEAN_FULL
        hlen = ent[3]
        end = n
        if ent[2]:
            if n - 4 - it_len < hlen:
                return LEAN_FULL
            if check_fcs and _crc32(d + it_len, n - it_len) != 0x2144DF1C:
                return LEAN_FCS
            end = n - 4
        elif n - it_len < hlen:
            return LEAN_FULL
        extra = ent[11]
        self.has_pn = False
        if extra is not None:
            p = it_len + <Py_ssize_t>extra
            if _eapol_llc(d, n, p):
                return LEAN_FULL
            self.out = ent[12]
            return LEAN_FIELDS
        at = ent[13]
        self.out = ent[12]
        if at is not None:
            self.has_pn = _pn_fields(d, it_len, it_len + <Py_ssize_t>at, end, &self.pn)
        return LEAN_FIELDS

    cdef object data_fields(self):
        """After data(): the fields as decode.data_fields gives them."""
        if self.has_pn:
            return (*self.out, _pn_tuple(&self.pn))
        return self.out

    cdef int beacon(self, const uint8_t* d, Py_ssize_t n) except -1:
        cdef int r = self.beacon_head(d, n)
        if r != LEAN_FIELDS:
            return r
        return self.beacon_elements(d)

    cdef int beacon_head(self, const uint8_t* d, Py_ssize_t n) except -1:
        """beacon_fields up to the element walk: LEAN_FIELDS with `out` the header fields
        and the body after the TSF at d[body_off : body_off + body_len]."""
        cdef Py_ssize_t it_len
        if n < 16:
            return LEAN_FULL
        it_len = d[2] | d[3] << 8
        ent = self.entry(d, n, it_len)
        if ent is None or ent[11] is not self.beacon_kind:
            return LEAN_FULL
        if ent[2]:
            if n - 4 - it_len < 24:
                return LEAN_FULL
            if _crc32(d + it_len, n - it_len) != 0x2144DF1C:
                return LEAN_FCS
            n -= 4
        if n - it_len < 36:
            return LEAN_FULL
        self.body_off = it_len + 32
        self.body_len = n - it_len - 32
        self.out = ent[12]
        return LEAN_FIELDS

    cdef int beacon_elements(self, const uint8_t* d) except -1:
        """After beacon_head: `out` becomes (header fields, elements), or LEAN_FULL."""
        self.body = PyBytes_FromStringAndSize(<char*>d + self.body_off, self.body_len)
        try:
            elements = self.after_tsf(self.body)[2]
        except self.errors:
            return LEAN_FULL
        self.out = (self.out, elements)
        return LEAN_FIELDS

    cdef int ack(self, const uint8_t* d, Py_ssize_t n) except -1:
        cdef Py_ssize_t it_len
        if n < 16:
            return LEAN_FULL
        it_len = d[2] | d[3] << 8
        ent = self.entry(d, n, it_len)
        if ent is None or ent[4] != 1:
            return LEAN_FULL
        ra = ent[12].addr1
        if type(ra) is not str:
            return LEAN_FULL
        self.out = ra
        return LEAN_FIELDS


# --- the tracker's per-frame tables, kept from here ------------------------------------------

cdef object _Frame = None  # analyzer.dot11.records, bound by _Tables (the capture stage
cdef object _MacHeader = None  # imports nothing to its right)
cdef object _BlockAck = None
cdef object _ProbeReq = None
cdef int64_t TS_SAFE = 1 << 62  # the tables take times within +-2^62 ns (any real capture)
cdef Py_ssize_t BODIES_PER_BSS = 4  # beacon bodies remembered per BSSID (the TIM's DTIM
                                    # count cycles through a few)
cdef Py_ssize_t BODIES_BSS = 1024  # BSSIDs whose bodies are remembered (forged ones churn)


cdef class _Tables:
    """Tracker.data_seen, beacon_seen and ack_seen, for the frames that change nothing but the
    tracker's per-frame tables, done here on the tracker's own objects in the order those
    methods would (analyzer.roam.tracker and analyzer.roam.acks are the reference): the time
    (`_now`), the frame and ACK counters, the station's last data and last acknowledged data
    per BSSID, the pending data frame per transmitter for ACK matching, the BSS's last time
    and signal, the inventory's beacon counts. Each method returns True when it did the whole
    of the call, False (having changed nothing) when the frame may change roam state: a
    deadline of the clock is due (a sweep, a held attempt), the station has an attempt, a
    table is full, an unknown station or BSS, a beacon body not seen before or one whose
    elements would teach the BSS something, Wi-Fi 7 link addresses. Then the Python method
    runs, with the same clock."""

    cdef object tracker
    cdef dict stations, unacked, bss, mld_links, counts
    cdef dict bodies  # BSSID -> _Bodies
    cdef uint64_t py_gen  # moves on whenever Python may have run (sync_out)
    cdef Py_ssize_t beacons, beacon_retries  # not yet in the inventory's counts
    # the tracker's `_now`, `_hold_due`, `_next_sweep` (`stale`: Python ran since they were
    # read), and the frames and ACKs taken here not yet added to its counters (`dirty`)
    cdef int64_t now, hold_due, next_sweep
    cdef int64_t last_ts, back_ns, forward_ns  # the previous frame's time, the jump limits
    cdef Py_ssize_t last_index_c  # the previous frame's index (when `dirty`)
    cdef bint last_index  # ... not 0
    cdef Py_ssize_t frames, acks
    cdef bint stale, dirty, off
    cdef object results  # a fast path's results for the loop to collect (a PN_REUSE)
    cdef dict pn_last, pn_pending
    cdef object pn_seen
    # pn_last's lists by the identity of (TA, RA) and the TID, valid while `pn_gen` is the
    # slot's; it moves on when PnTracker drops a list (`dropped`: it never replaces one)
    cdef object pn_tracker
    cdef object pn_dropped
    cdef uint64_t pn_gen
    cdef uint64_t pn_slot_gen[PN_SLOTS]
    cdef int pn_slot_tid[PN_SLOTS]
    cdef list pn_slot_ta, pn_slot_ra, pn_slot_list
    cdef object ack_window
    cdef Py_ssize_t max_unacked, max_bssids
    # Block Acks: radiotap after the TSFT + FC..TA of one that decoded in full -> (radiotap's
    # first 8 bytes, FCS present, RA, TA, TA with its group bit cleared)
    cdef dict block_acks
    cdef object individual
    cdef int ba_bitmap[16]  # by BA Type: bitmap octets (0: the rest of the frame; -1: none)
    cdef int ba_needed[16]  # octets after the SSC it needs
    # Probe Requests: radiotap after the TSFT + header before the Sequence Control + body of
    # one that decoded in full -> (radiotap's first 8 bytes, FCS present, A1, A2, retry,
    # its content for Dedup, its count key)
    cdef dict probes
    cdef uint64_t probe_slot_hash[PROBE_SLOTS]
    cdef list probe_slot_key, probe_slot_value
    cdef object seen_new
    cdef object by_ta, asked, seen, probe_kind, count_key, scan_gap, phase
    cdef Py_ssize_t per_transmitter, max_asked

    def __cinit__(self, tracker, counts):
        from analyzer.roam import acks, events, station

        self.tracker = tracker
        self.stale = True
        self.results = None
        self.pn_last = tracker._pn._last
        self.pn_pending = tracker._pn._pending
        self.pn_seen = tracker._pn.seen
        self.pn_tracker = tracker._pn
        self.pn_dropped = self.pn_tracker.dropped
        self.pn_gen = 1
        memset(self.pn_slot_gen, 0, sizeof(self.pn_slot_gen))
        self.pn_slot_ta = [None] * PN_SLOTS
        self.pn_slot_ra = [None] * PN_SLOTS
        self.pn_slot_list = [None] * PN_SLOTS
        self.stations = tracker._stations
        self.unacked = tracker._unacked
        self.bss = tracker._bss
        self.mld_links = tracker._mld_links
        self.counts = counts
        self.bodies = {}
        self.py_gen = 1
        self.block_acks = {}
        self.probes = {}
        memset(self.probe_slot_hash, 0, sizeof(self.probe_slot_hash))
        self.probe_slot_key = [None] * PROBE_SLOTS
        self.probe_slot_value = [None] * PROBE_SLOTS
        from analyzer.roam import dedup, inventory

        self.by_ta = tracker._dedup._by_ta
        self.asked = tracker._dedup._asked
        self.seen = dedup.Seen
        self.seen_new = dedup.Seen.__new__
        self.per_transmitter = dedup.PER_TRANSMITTER
        self.max_asked = dedup.ASKED
        self.count_key = inventory._count_key
        self.scan_gap = station.SCAN_GAP_NS
        self.phase = station.PhaseAcc
        self.individual = acks.individual
        from analyzer.dot11 import control, records

        global _Frame, _MacHeader, _BlockAck, _ProbeReq
        _Frame, _MacHeader, _BlockAck = records.Frame, records.MacHeader, records.BlockAck
        _ProbeReq = records.ProbeReq
        self.probe_kind = records.Kind.PROBE_REQ
        for t in range(16):
            sizes = control._BITMAPS.get(t)
            self.ba_bitmap[t] = -1 if sizes is None else (sizes[0] or 0)
            self.ba_needed[t] = 0 if sizes is None else sizes[1]
        if events._ODD_HEX != frozenset("13579bdfBDF"):
            raise ValueError("events._ODD_HEX changed: update _Tables.data")
        self.ack_window = acks.ACK_WINDOW_NS
        self.max_unacked = acks.MAX_UNACKED
        self.max_bssids = station.MAX_BSSIDS
        for table in (self.stations, self.unacked, self.bss, self.mld_links, self.counts):
            if type(table) is not dict:
                raise TypeError("the tracker's tables are dicts")

    cdef int sync_in(self) except -1:
        """The tracker's clock and deadlines, after Python ran (they fit in 64 bits as the
        readers give them; if not, the tables stand aside)."""
        tracker = self.tracker
        try:
            self.now = tracker._now
            self.hold_due = tracker._hold_due
            self.next_sweep = tracker._next_sweep
            self.last_ts = tracker._last_ts
            self.last_index = bool(tracker._last_index)
            self.back_ns = tracker._back_ns
            self.forward_ns = tracker._forward_ns
            self.pn_follow()
        except OverflowError:
            self.off = True
        if not (-TS_SAFE < self.last_ts < TS_SAFE and 0 <= self.back_ns < TS_SAFE
                and 0 <= self.forward_ns):
            self.off = True
        self.stale = False
        return 0

    cdef int sync_out(self) except -1:
        """The clock and the counters into the tracker, before Python runs (and at the end):
        Python sees them as if it had taken every frame itself."""
        if self.dirty:
            tracker = self.tracker
            tracker._now = self.now
            tracker._last_ts = self.last_ts
            tracker._last_index = self.last_index_c
            if self.frames:
                tracker.frames = tracker.frames + self.frames
            if self.acks:
                tracker.acks = tracker.acks + self.acks
            if self.beacons:
                counts = self.counts
                counts["beacon"] = counts["beacon"] + self.beacons
                if self.beacon_retries:
                    counts["retransmissions"] = counts["retransmissions"] + self.beacon_retries
            self.frames = self.acks = self.beacons = self.beacon_retries = 0
            self.dirty = False
        self.stale = True
        self.py_gen += 1
        return 0

    cdef inline int pn_follow(self) except -1:
        """After Python ran: forget the PN lists PnTracker may have dropped."""
        dropped = self.pn_tracker.dropped
        if dropped is not self.pn_dropped and dropped != self.pn_dropped:
            self.pn_dropped = dropped
            self.pn_gen += 1
        return 0

    cdef bint clock(self, object ts, Py_ssize_t index) except -1:
        """Tracker._clock(ts, out, index) when it has nothing to do: no jump of the clock
        since the last frame, no deadline due. True with `_now` and the last frame's time
        and index advanced."""
        cdef int64_t t, now
        if self.stale:
            self.sync_in()
        if self.off or type(ts) is not int or index <= 0:
            return False
        try:
            t = ts
        except OverflowError:
            return False
        if t >= TS_SAFE or t <= -TS_SAFE:  # differences below must not overflow
            return False
        if self.last_index and (t < self.last_ts - self.back_ns
                                or t - self.last_ts > self.forward_ns):
            return False
        now = t if t > self.now else self.now
        if now >= self.hold_due or now >= self.next_sweep:
            return False
        self.now = now
        self.last_ts = t
        self.last_index_c = index
        self.last_index = True
        self.dirty = True
        return True

    cdef inline int counted(self) except -1:
        self.frames += 1
        return 0

    cdef bint fast(self, int kind, object ts, Py_ssize_t index, object interface,
                   const uint8_t* d, Py_ssize_t n, _Lean lean) except -1:
        """The frame of this kind (radiotap) done here, or False: Python takes it."""
        if kind == K_DATA:
            return lean.data(d, n) == LEAN_FIELDS and self.data(ts, index, lean)
        if kind == K_BEACON:
            return lean.beacon_head(d, n) == LEAN_FIELDS and self.beacon(
                ts, index, lean.out, d + lean.body_off, lean.body_len)
        if kind == K_CONTROL:
            if lean.ack(d, n) == LEAN_FIELDS:
                return self.ack(ts, index, lean.out)
            return self.block_ack(ts, index, d, n)
        if kind == K_PROBE_REQ:
            return self.probe_req(ts, index, interface, d, n)
        return False

    cdef inline int drop_pending(self, object tx) except -1:
        if tx in self.unacked:
            del self.unacked[tx]
        return 0

    cdef bint data(self, object ts, Py_ssize_t index, _Lean lean) except -1:
        """Tracker.data_seen(ts, index, *fields): fields are (fc_flags, A1, A2, subtype) and,
        for a CCMP/GCMP frame, its PN fields (lean.pn)."""
        cdef int fc_flags, subtype, act
        cdef bint from_ap
        cdef Py_UCS4 c
        cdef object fields = lean.out
        if PyTuple_GET_SIZE(fields) != 4:
            return False
        fc = <object>PyTuple_GET_ITEM(fields, 0)
        addr1 = <object>PyTuple_GET_ITEM(fields, 1)
        addr2 = <object>PyTuple_GET_ITEM(fields, 2)
        st_fields = <object>PyTuple_GET_ITEM(fields, 3)
        if type(fc) is not int or type(st_fields) is not int:
            return False
        fc_flags = fc & 0x03
        subtype = st_fields
        if not self.clock(ts, index):
            return False
        # what Tracker._data_fields will do: 0 forget the transmitter's pending frame,
        # 1 that after the station's time, 2 the data frame's tables
        st = None
        if fc_flags == 0x01:
            sta, bssid, from_ap = addr2, addr1, False
        elif fc_flags == 0x02:
            sta, bssid, from_ap = addr1, addr2, True
        else:
            sta = bssid = None
        if sta is None or bssid is None:
            act = 0
        elif type(sta) is not str or len(<str>sta) < 2:
            return False
        else:
            c = (<str>sta)[1]
            if c in u"13579bdfBDF":  # events._ODD_HEX
                act = 0
            elif self.mld_links:
                return False
            else:
                hit = PyDict_GetItem(self.stations, sta)
                if hit == NULL:
                    if not from_ap:
                        return False
                    act = 0
                else:
                    st = <object>hit
                    if subtype & 0x04:
                        act = 1
                    else:
                        if st.attempt is not None:
                            return False
                        if len(self.unacked) >= self.max_unacked and addr2 not in self.unacked:
                            return False
                        last_data = st.last_data
                        if type(last_data) is not dict:
                            return False
                        if (len(<dict>last_data) >= self.max_bssids
                                and bssid not in <dict>last_data):
                            return False
                        act = 2
        self.counted()
        if lean.has_pn:
            self.pn_step(addr2, addr1, fc, index, &lean.pn)
        if act == 0:
            self.drop_pending(addr2)
            return True
        if ts > st.last_ns:
            st.last_ns = ts
        if act == 1:
            self.drop_pending(addr2)
            return True
        self.unacked[addr2] = (ts, st, bssid)
        (<dict>st.last_data)[bssid] = ts
        if not from_ap:
            st.current_bssid = bssid
        return True

    cdef int pn_step(self, object ta, object ra, object fc, Py_ssize_t index,
                     PnFields* pn) except -1:
        """Tracker._pn_seen: PnTracker.seen inline for a PN above the last one of its
        (transmitter, receiver, TID) or under another key with no restart pending; else the
        Python method. A PN_REUSE it finds becomes this frame's result."""
        cdef object last = None
        cdef size_t slot
        if ta is None:
            return 0
        if not self.pn_pending:
            slot = (<size_t><PyObject*>ta >> 4) ^ (<size_t><PyObject*>ra >> 7)
            slot = (slot ^ (<size_t>(pn.tid + 1) << 5)) & (PN_SLOTS - 1)
            if (self.pn_slot_gen[slot] == self.pn_gen and self.pn_slot_tid[slot] == pn.tid
                    and PyList_GET_ITEM(self.pn_slot_ta, slot) == <PyObject*>ta
                    and PyList_GET_ITEM(self.pn_slot_ra, slot) == <PyObject*>ra):
                last = <object>PyList_GET_ITEM(self.pn_slot_list, slot)
            else:
                hit = PyDict_GetItem(self.pn_last, (ta, ra, None if pn.tid < 0 else pn.tid))
                if hit != NULL and type(<object>hit) is list and len(<list><object>hit) == 5:
                    last = <object>hit
                    self.pn_slot_ta[slot] = ta  # held: no other object takes its address
                    self.pn_slot_ra[slot] = ra
                    self.pn_slot_list[slot] = last
                    self.pn_slot_tid[slot] = pn.tid
                    self.pn_slot_gen[slot] = self.pn_gen
            if last is not None:
                key_id = pn.key_id
                pnv = pn.pn
                if key_id != (<list>last)[0] or pnv > (<list>last)[1]:
                    (<list>last)[0] = key_id
                    (<list>last)[1] = pnv
                    (<list>last)[2] = index
                    (<list>last)[3] = pn.seq
                    (<list>last)[4] = pn.mic
                    return 0
        reused = self.pn_seen(ta, ra, fc, index, _pn_tuple(pn))
        self.pn_follow()
        if reused is not None:
            self.results = [reused]
        return 0

    cdef bint ack(self, object ts, Py_ssize_t index, object ra) except -1:
        """Tracker.ack_seen(ts, ra)."""
        if not self.clock(ts, index):
            return False
        hit = PyDict_GetItem(self.unacked, ra)
        if hit != NULL:
            pending = <object>hit
            data_ns = <object>PyTuple_GET_ITEM(pending, 0)
            if ts - data_ns <= self.ack_window:
                st = <object>PyTuple_GET_ITEM(pending, 1)
                bssid = <object>PyTuple_GET_ITEM(pending, 2)
                if st.attempt is not None:
                    return False
                last_acked = st.last_acked
                if type(last_acked) is not dict:
                    return False
                if len(<dict>last_acked) >= self.max_bssids and bssid not in <dict>last_acked:
                    return False
                (<dict>last_acked)[bssid] = ts
            del self.unacked[ra]
        self.acks += 1
        return self.counted() == 0

    cdef bint block_ack(self, object ts, Py_ssize_t index, const uint8_t* d,
                       Py_ssize_t n) except -1:
        """Tracker.feed of a radiotap Block Ack whose radiotap and header bytes (all but
        the TSFT) are those of one that decoded in full: the body decoded here as
        analyzer.dot11.control.decode_block_ack does, then Tracker._control."""
        cdef Py_ssize_t it_len, end, p, blen, i, stop
        cdef int control, ba_type, bitmap
        cdef bint acked
        cdef PyObject* hit
        if n < 16:
            return False
        it_len = d[2] | d[3] << 8
        if it_len < 16 or it_len + 16 > n:
            return False
        key = PyBytes_FromStringAndSize(<char*>d + 16, it_len)
        hit = PyDict_GetItem(self.block_acks, key)
        if hit == NULL:
            return False
        known = <object>hit
        head = <object>PyTuple_GET_ITEM(known, 0)
        if memcmp(PyBytes_AS_STRING(head), d, 8) != 0:
            return False
        end = n
        if <object>PyTuple_GET_ITEM(known, 1):  # FCS present
            end = n - 4
            if end - it_len < 16 or _crc32(d + it_len, n - it_len) != 0x2144DF1C:
                return False
        p = it_len + 16
        blen = end - p
        if blen < 2:
            return False
        control = d[p] | d[p + 1] << 8
        ba_type = (control >> 1) & 0x0F
        bitmap = self.ba_bitmap[ba_type]
        acked = True
        if bitmap >= 0:
            if blen < 4 + self.ba_needed[ba_type]:
                return False
            stop = blen if bitmap == 0 else 4 + bitmap
            acked = False
            for i in range(4, stop):
                if d[p + i]:
                    acked = True
                    break
        ra = <object>PyTuple_GET_ITEM(known, 2)
        ta = <object>PyTuple_GET_ITEM(known, 3)
        if not self.clock(ts, index):
            return False
        hit = PyDict_GetItem(self.unacked, ra)
        if hit != NULL and ta is not None and acked:
            st = <object>PyTuple_GET_ITEM(<object>hit, 1)
            bssid = <object>PyTuple_GET_ITEM(<object>hit, 2)
            if <object>PyTuple_GET_ITEM(known, 4) == (bssid if ra == st.mac else st.mac):
                return self.ack(ts, index, ra)
        self.drop_pending(ra)
        self.acks += 1
        return self.counted() == 0

    cdef int learn_block_ack(self, const uint8_t* d, Py_ssize_t n, object item) except -1:
        """After a full decode: a Block Ack whose radiotap says nothing but what its bytes
        after the TSFT say (as analyzer.dot11.decode's memo asks of the frames it learns)."""
        cdef Py_ssize_t it_len
        cdef uint32_t present
        if n < 16 or d[0] != 0 or type(item) is not _Frame:
            return 0
        it_len = d[2] | d[3] << 8
        present = <uint32_t>d[4] | <uint32_t>d[5] << 8 | <uint32_t>d[6] << 16 \
            | <uint32_t>d[7] << 24
        if it_len < 16 or it_len + 16 > n or present & 0xE0000001 != 1:
            return 0
        radio, hdr = item.radio, item.header
        if type(item.body) is not _BlockAck or radio is None or type(hdr) is not _MacHeader:
            return 0
        if radio.bad_fcs or hdr.length != 16 or hdr.ftype != 1 or hdr.subtype != 9:
            return 0
        tsft = <uint64_t>d[8] | <uint64_t>d[9] << 8 | <uint64_t>d[10] << 16 \
            | <uint64_t>d[11] << 24 | <uint64_t>d[12] << 32 | <uint64_t>d[13] << 40 \
            | <uint64_t>d[14] << 48 | <uint64_t>d[15] << 56
        if radio.tsft_us != tsft or type(hdr.addr1) is not str:
            return 0
        ta = hdr.addr2
        if ta is not None and type(ta) is not str:
            return 0
        if len(self.block_acks) >= 4096:
            self.block_acks.clear()
        self.block_acks[PyBytes_FromStringAndSize(<char*>d + 16, it_len)] = (
            PyBytes_FromStringAndSize(<char*>d, 8), bool(radio.fcs_present), hdr.addr1, ta,
            None if ta is None else self.individual(ta))
        return 0

    cdef object probe_known(self, const uint8_t* d, Py_ssize_t it_len, Py_ssize_t end):
        """self.probes[probe_key(...)] or NULL, found by a hash of the key's two pieces in
        PROBE_SLOTS slots first (a value is what decoding gives for any frame with its key,
        so one kept after the dict dropped it is still right)."""
        cdef Py_ssize_t len1 = it_len + 6, len2 = end - it_len - 24
        cdef uint64_t h = _hash_more(_key_hash(d + 16, len1), d + it_len + 24, len2)
        cdef size_t slot = h & (PROBE_SLOTS - 1)
        cdef PyObject* hit
        key = <object>PyList_GET_ITEM(self.probe_slot_key, slot)
        if (self.probe_slot_hash[slot] == h and key is not None
                and PyBytes_GET_SIZE(key) == len1 + len2
                and memcmp(PyBytes_AS_STRING(key), d + 16, len1) == 0
                and memcmp(PyBytes_AS_STRING(key) + len1, d + it_len + 24, len2) == 0):
            return <object>PyList_GET_ITEM(self.probe_slot_value, slot)
        key = self.probe_key(d, 0, it_len, end)
        hit = PyDict_GetItem(self.probes, key)
        if hit == NULL:
            return None
        self.probe_slot_key[slot] = key
        self.probe_slot_value[slot] = <object>hit
        self.probe_slot_hash[slot] = h
        return <object>hit

    cdef object probe_key(self, const uint8_t* d, Py_ssize_t n, Py_ssize_t it_len,
                          Py_ssize_t end):
        """radiotap after the TSFT, the header but its Sequence Control, the body."""
        key = PyBytes_FromStringAndSize(NULL, (it_len + 6) + (end - it_len - 24))
        cdef char* k = PyBytes_AS_STRING(key)
        memcpy(k, d + 16, it_len + 6)
        memcpy(k + it_len + 6, d + it_len + 24, end - it_len - 24)
        return key

    cdef bint probe_req(self, object ts, Py_ssize_t index, object interface, const uint8_t* d,
                        Py_ssize_t n) except -1:
        """Inventory.add and Tracker.feed of a radiotap Probe Request whose bytes but the
        TSFT, the Sequence Control and the FCS are those of one that decoded in full, from a
        known station with no attempt and no steering log, from a transmitter whose sequence
        number is new (Dedup: a new frame)."""
        cdef Py_ssize_t it_len, end
        cdef int sc
        cdef PyObject* hit
        if n < 16:
            return False
        it_len = d[2] | d[3] << 8
        if it_len < 16 or it_len + 24 > n:
            return False
        end = n - 4 if n - 4 >= it_len + 24 else n  # the key says which (checked below)
        known = self.probe_known(d, it_len, end)
        if known is None and end != n:
            end = n
            known = self.probe_known(d, it_len, end)
        if known is None:
            return False
        if memcmp(PyBytes_AS_STRING(<object>PyTuple_GET_ITEM(known, 0)), d, 8) != 0:
            return False
        if <object>PyTuple_GET_ITEM(known, 1):  # FCS present
            if end != n - 4 or _crc32(d + it_len, n - it_len) != 0x2144DF1C:
                return False
        elif end != n:
            return False
        addr1 = <object>PyTuple_GET_ITEM(known, 2)
        sta = <object>PyTuple_GET_ITEM(known, 3)
        retry = <object>PyTuple_GET_ITEM(known, 4)
        sc = d[it_len + 22] | d[it_len + 23] << 8
        key = (sc >> 4, sc & 0x0F, 0)
        if not self.clock(ts, index):
            return False
        if self.mld_links:
            return False
        window = self.by_ta.get(sta)
        if window is None or key in window:
            return False
        hit = PyDict_GetItem(self.stations, sta)
        if hit == NULL:
            return False
        st = <object>hit
        if st.attempt is not None or st.steering is not None:
            return False
        run = st.probe
        # Inventory.add
        counts = self.counts
        count = <object>PyTuple_GET_ITEM(known, 6)
        counts[count] = counts[count] + 1
        if retry:
            counts["retransmissions"] = counts["retransmissions"] + 1
        # Tracker.feed -> _frame
        self.counted()
        if self.unacked:
            self.drop_pending(sta)
        if not retry:  # Dedup.asked
            pair = (sta, addr1)
            self.asked[pair] = ts
            self.asked.move_to_end(pair)
            if len(self.asked) > self.max_asked:
                self.asked.popitem(last=False)
        # Dedup.check: a new frame
        self.by_ta.move_to_end(sta)
        seen = self.seen_new(self.seen)  # Seen(content, ts, index, interface), __init__ inline
        seen.content = <object>PyTuple_GET_ITEM(known, 5)
        seen.ts_ns = ts
        seen.index = index
        seen.interface = interface
        window[key] = seen
        window.move_to_end(key)
        if len(window) > self.per_transmitter:
            window.popitem(last=False)
        # _event -> _station, Station.probed
        if ts > st.last_ns:
            st.last_ns = ts
        if run is None or ts - run.end_ns > self.scan_gap:  # a new scan
            run = st.probe = self.phase(ts, ts)
        if ts > run.end_ns:
            run.end_ns = ts
        run.frames = run.frames + 1
        return True

    cdef int learn_probe_req(self, const uint8_t* d, Py_ssize_t n, object item) except -1:
        """After a full decode: a Probe Request from a station (A2 unicast, not the BSSID)
        whose radiotap says nothing but what its bytes after the TSFT say."""
        cdef Py_ssize_t it_len, end
        cdef uint32_t present
        if n < 16 or d[0] != 0 or type(item) is not _Frame:
            return 0
        it_len = d[2] | d[3] << 8
        present = <uint32_t>d[4] | <uint32_t>d[5] << 8 | <uint32_t>d[6] << 16 \
            | <uint32_t>d[7] << 24
        if it_len < 16 or it_len + 24 > n or present & 0xE0000001 != 1:
            return 0
        radio, hdr = item.radio, item.header
        if item.kind is not self.probe_kind or type(item.body) is not _ProbeReq:
            return 0
        if radio is None or type(hdr) is not _MacHeader or radio.bad_fcs:
            return 0
        if hdr.length != 24 or hdr.ftype != 0 or hdr.subtype != 4 or hdr.htc is not None:
            return 0
        tsft = <uint64_t>d[8] | <uint64_t>d[9] << 8 | <uint64_t>d[10] << 16 \
            | <uint64_t>d[11] << 24 | <uint64_t>d[12] << 32 | <uint64_t>d[13] << 40 \
            | <uint64_t>d[14] << 48 | <uint64_t>d[15] << 56
        if radio.tsft_us != tsft:
            return 0
        a1, a2, a3 = hdr.addr1, hdr.addr2, hdr.addr3
        if type(a1) is not str or type(a2) is not str or type(a3) is not str:
            return 0
        if a2 == a3 or len(<str>a2) < 2 or (<str>a2)[1] in u"13579bdfBDF":
            return 0  # an AP's, or not a station's: the event is another
        count = self.count_key(item)
        if count is None or hdr.frag:
            return 0
        end = n - 4 if radio.fcs_present else n
        if end < it_len + 24:
            return 0
        if len(self.probes) >= 4096:
            self.probes.clear()
        self.probes[self.probe_key(d, n, it_len, end)] = (
            PyBytes_FromStringAndSize(<char*>d, 8), bool(radio.fcs_present), a1, a2,
            bool(hdr.retry), hash((item.kind, a1, a3, item.body)), count)
        return 0

    cdef bint beacon(self, object ts, Py_ssize_t index, object fields, const uint8_t* body,
                     Py_ssize_t body_len) except -1:
        """Inventory.count_beacon and Tracker.beacon_seen for a body after the TSF seen
        before from this BSSID, whose elements would change nothing on its Bss."""
        cdef _Bodies known
        cdef Py_ssize_t i, found = -1
        addr3 = <object>PyTuple_GET_ITEM(fields, 1)
        hit = PyDict_GetItem(self.bodies, addr3)
        if hit == NULL:
            return False
        known = <_Bodies>hit
        for i in range(len(known.entries)):
            b = <object>PyTuple_GET_ITEM(<object>PyList_GET_ITEM(known.entries, i), 0)
            if (PyBytes_GET_SIZE(b) == body_len
                    and memcmp(PyBytes_AS_STRING(b), body, body_len) == 0):
                found = i
                break
        if found < 0:
            return False
        if known.ok_gen == self.py_gen and known.ok_index == found:
            bss = known.ok_bss  # checked since Python last ran
        else:
            bss = self.unchanged_bss(addr3, <object>PyList_GET_ITEM(known.entries, found))
            if bss is None:
                return False
            known.ok_gen, known.ok_index, known.ok_bss = self.py_gen, found, bss
        if not self.clock(ts, index):
            return False
        self.beacons += 1
        if <int>(<object>PyTuple_GET_ITEM(fields, 0)) & 0x08:
            self.beacon_retries += 1
        bss.last_ns = ts
        signal = <object>PyTuple_GET_ITEM(fields, 2)
        if signal is not None:
            bss.signal_dbm = signal
        return self.counted() == 0

    cdef object unchanged_bss(self, object addr3, object learned):
        """The BSSID's Bss when what Bss.learn would take from this body is what it has."""
        hit = PyDict_GetItem(self.bss, addr3)
        if hit == NULL:
            return None
        bss = <object>hit
        if bss.channel is None:
            return None
        ssid = <object>PyTuple_GET_ITEM(learned, 1)
        if ssid is not None and ssid != bss.ssid:
            return None
        channel = <object>PyTuple_GET_ITEM(learned, 2)
        if channel is not None and channel != bss.channel:
            return None
        if <object>PyTuple_GET_ITEM(learned, 3):  # an RSNE (or WPA element)
            if (<object>PyTuple_GET_ITEM(learned, 4) != bss.akms
                    or <object>PyTuple_GET_ITEM(learned, 5) != bss.rsn_capabilities):
                return None
        return bss

    cdef int learned(self, object fields, object body, object elements) except -1:
        """A beacon body the tracker saw from this BSSID: what Bss.learn takes from it, unless
        its elements say more than that (a Basic Multi-Link element: Tracker.beacon_seen
        goes on to the MLD map)."""
        cdef _Bodies known
        if elements.multi_link is not None:
            return 0
        addr3 = <object>PyTuple_GET_ITEM(fields, 1)
        rsne = elements.rsne or elements.wpa
        entry = (body, elements.ssid, elements.channel, rsne is not None,
                 None if rsne is None else rsne.akms,
                 None if rsne is None else rsne.capabilities)
        hit = PyDict_GetItem(self.bodies, addr3)
        if hit == NULL:
            if len(self.bodies) >= BODIES_BSS:
                self.bodies.clear()
            known = _Bodies()
            self.bodies[addr3] = known
        else:
            known = <_Bodies>hit
        if len(known.entries) >= BODIES_PER_BSS:
            del known.entries[0]
        known.entries.append(entry)
        known.ok_gen = 0
        return 0


cdef class _Bodies:
    """A BSSID's beacon bodies after the TSF, each with what Bss.learn would set from it
    ((body, SSID, channel, RSNE or WPA element present, AKMs, RSN capabilities)), and the
    one last found to change nothing on its Bss (while Python has not run since)."""

    cdef list entries
    cdef uint64_t ok_gen
    cdef Py_ssize_t ok_index
    cdef object ok_bss

    def __cinit__(self):
        self.entries = []
        self.ok_gen = 0


# --- the hot loop ----------------------------------------------------------------------------

def accepts(records) -> bool:
    """`records` is a Capture read by a compiled reader that has not yielded a record yet."""
    inner = getattr(records, "_records", None)
    return isinstance(inner, Reader) and (<Reader>inner).index == 0


def run_capture(engine, capture, collect, count_malformed):
    """analyzer.run.engine.Engine.run_capture over a compiled reader: the same calls into the
    engine, in the same order, with the same values; records the prefilter drops are never
    built, and lean data frames, beacons and ACKs never become RawRecords."""
    from analyzer.dot11.decode import _ERRORS, _MEMO, decode
    from analyzer.dot11.mgmt import _beacon_after_tsf
    from analyzer.dot11.records import Kind, Malformed
    from analyzer.run.engine import UNCOUNTED

    cdef Reader rd = <Reader>capture._records
    cdef _Lean lean_fields = _Lean(_MEMO, Kind.BEACON, _beacon_after_tsf, _ERRORS)
    cdef int kind, lt, r
    cdef const uint8_t* d
    cdef Py_ssize_t n
    cdef int lean_data, lean_beacon, lean_ack
    cdef object ts, index, item, rec, results, fields, elements

    _init_kinds()
    analysis = engine.analysis
    result = analysis.captures[0]
    add, sinks, tracker_feed = engine._add, engine._sinks, engine.tracker.feed
    judge, on_result = engine.judge, engine.on_result
    uncounted = UNCOUNTED
    malformed = Malformed
    if engine.lean:
        lean_data, lean_beacon, lean_ack = K_DATA, K_BEACON, K_CONTROL
    else:
        lean_data = lean_beacon = lean_ack = -2
    data_seen, beacon_seen = engine.tracker.data_seen, engine.tracker.beacon_seen
    ack_seen = engine.tracker.ack_seen
    count_beacon = analysis.inventory.count_beacon
    cdef _Tables tables = _Tables(engine.tracker, analysis.inventory.counts) if engine.lean \
        else None
    try:
        while rd.next_raw():
            d = rd.src.at(rd.cur_off)
            n = rd.cur_len
            lt = rd.cur_linktype
            kind = _peek(lt, d, n)
            if kind < 0:
                continue
            if tables is not None:
                if lt == 127 and tables.fast(kind, rd.cur_ts, rd.index, rd.cur_gid, d, n,
                                             lean_fields):
                    if tables.results is not None:
                        results, tables.results = tables.results, None
                        tables.sync_out()
                        rd.flush()
                        collect(analysis, judge, results, on_result)
                    continue
                tables.sync_out()  # Python takes this frame
            if kind == lean_data and lt == 127:
                r = lean_fields.data(d, n)
                if r == LEAN_FIELDS:
                    fields = lean_fields.out
                    if lean_fields.has_pn:
                        results = data_seen(rd.cur_ts, rd.index, *fields,
                                            _pn_tuple(&lean_fields.pn))
                    else:
                        results = data_seen(rd.cur_ts, rd.index,
                                            <object>PyTuple_GET_ITEM(fields, 0),
                                            <object>PyTuple_GET_ITEM(fields, 1),
                                            <object>PyTuple_GET_ITEM(fields, 2),
                                            <object>PyTuple_GET_ITEM(fields, 3))
                    if results:
                        rd.flush()
                        collect(analysis, judge, results, on_result)
                    continue
                if r == LEAN_FCS:
                    item = malformed(rd.index, rd.cur_ts, rd.cur_gid, "link", "FCS mismatch")
                else:
                    rd.flush()
                    item = decode(rd.record())
            elif kind == lean_beacon and lt == 127:
                r = lean_fields.beacon_head(d, n)
                if r == LEAN_FIELDS:
                    r = lean_fields.beacon_elements(d)
                if r == LEAN_FIELDS:
                    fields, elements = lean_fields.out
                    fc_flags, addr3, signal, freq = fields
                    count_beacon(fc_flags)
                    results = beacon_seen(rd.cur_ts, rd.index, addr3, signal, freq, elements)
                    if tables is not None:
                        tables.learned(fields, lean_fields.body, elements)
                    if results:
                        rd.flush()
                        collect(analysis, judge, results, on_result)
                    continue
                if r == LEAN_FCS:
                    item = malformed(rd.index, rd.cur_ts, rd.cur_gid, "link", "FCS mismatch")
                else:
                    rd.flush()
                    item = decode(rd.record())
            elif kind == lean_ack and lt == 127:
                r = lean_fields.ack(d, n)
                if r == LEAN_FIELDS:
                    results = ack_seen(rd.cur_ts, rd.index, lean_fields.out)
                    if results:
                        rd.flush()
                        collect(analysis, judge, results, on_result)
                    continue
                rd.flush()
                item = decode(rd.record())
                if tables is not None:
                    tables.learn_block_ack(d, n, item)
            elif kind == K_PROBE_REQ and lt == 127 and tables is not None:
                rd.flush()
                item = decode(rd.record())
                tables.learn_probe_req(d, n, item)
            else:
                rd.flush()
                item = decode(rd.record())
            if item is None:
                continue
            rd.flush()
            if type(item) is malformed:
                count_malformed(result, item)
            else:
                if item.kind not in uncounted:
                    add(0, item)
                for sink in sinks:
                    sink(0, item)
            results = tracker_feed(item)
            if results:
                collect(analysis, judge, results, on_result)
    finally:
        if tables is not None:
            tables.sync_out()


# --- the walk and the scan (bench) -----------------------------------------------------------

def walk(capture) -> int:
    """Step over every record of a Capture opened with a compiled reader (the floor)."""
    cdef Reader rd = <Reader>capture._records
    cdef Py_ssize_t count = 0
    while rd.next_raw():
        count += 1
    return count


def scan(capture) -> tuple:
    """Walk, classify every record and check the FCS of the radiotap frames whose flags say
    it is there: (records, relevant, fcs_bad)."""
    cdef Reader rd = <Reader>capture._records
    cdef Py_ssize_t count = 0, relevant = 0, bad = 0, rt_len
    cdef const uint8_t* d
    cdef Py_ssize_t n
    cdef int kind
    _init_kinds()
    while rd.next_raw():
        count += 1
        d = rd.src.at(rd.cur_off)
        n = rd.cur_len
        kind = _peek(rd.cur_linktype, d, n)
        if kind < 0:
            continue
        relevant += 1
        if rd.cur_linktype == 127 and n >= 17 and d[4] & 0x02 and not d[7] & 0x80:
            # radiotap Flags (present bit 1) after an optional TSFT (bit 0, 8 aligned)
            rt_len = d[2] | d[3] << 8
            if rt_len <= n - 4 and d[(16 if d[4] & 0x01 else 8)] & 0x10:
                if _crc32(d + rt_len, n - rt_len) != 0x2144DF1C:
                    bad += 1
    return count, relevant, bad


def lean(int kind, index, ts_ns, interface, bytes data not None):
    """data_fields / beacon_fields / ack_receiver of analyzer.dot11.decode (by `kind`: DATA,
    BEACON, CONTROL) on a radiotap record's bytes, compiled: the same fields, the same
    Malformed, or decode.FULL (for tests and the fuzz targets)."""
    from analyzer.dot11.decode import _ERRORS, _MEMO, FULL
    from analyzer.dot11.mgmt import _beacon_after_tsf
    from analyzer.dot11.records import Kind, Malformed

    _init_kinds()
    cdef _Lean lf = _Lean(_MEMO, Kind.BEACON, _beacon_after_tsf, _ERRORS)
    cdef const uint8_t* d = <const uint8_t*>PyBytes_AS_STRING(data)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(data)
    cdef int r
    if kind == K_DATA:
        r = lf.data(d, n)
    elif kind == K_BEACON:
        r = lf.beacon(d, n)
    elif kind == K_CONTROL:
        r = lf.ack(d, n)
    else:
        raise ValueError(f"no lean path for kind {kind}")
    if r == LEAN_FIELDS:
        return lf.data_fields() if kind == K_DATA else lf.out
    if r == LEAN_FCS:
        return Malformed(index, ts_ns, interface, "link", "FCS mismatch")
    return FULL


# --- live: a packet socket read in batches, each frame through the tables ---------------------
#
#   LiveCore     analyzer.run.engine.Engine.record for one live interface (with its `hear`
#                sink), over records read by recvmmsg; LiveCore.cut_data is _Lean.data with no
#                FCS check (decode(rec, check_fcs=False) of a data frame the kernel cut)
#                (tests/core/test_live_core.py compares the two paths)

cdef extern from *:
    """
    #include <errno.h>
    #include <stdint.h>
    #include <string.h>
    #include <sys/types.h>
    #include <sys/socket.h>
    #include <sys/uio.h>
    #include <time.h>

    #define ROAM_BATCH 64
    #define ROAM_SLOT (262144 + 256)  /* the filter's snap length; the slots are staggered
                                         by a few cache lines so their heads do not alias */
    #define ROAM_CTRL 128

    typedef struct {
        int64_t ts;        /* SO_TIMESTAMPNS, 0 when absent */
        int64_t orig;      /* tpacket_auxdata.tp_len, -1 when absent */
        Py_ssize_t size;   /* bytes received */
        const uint8_t *data;
    } roam_msg;

    #ifdef __linux__
    typedef struct {
        struct mmsghdr hdr[ROAM_BATCH];
        struct iovec iov[ROAM_BATCH];
        char ctrl[ROAM_BATCH][ROAM_CTRL];
        uint8_t *buf;
    } roam_batch;

    static roam_batch *roam_batch_new(void) {
        roam_batch *b = (roam_batch *)calloc(1, sizeof(roam_batch));
        if (b == NULL) return NULL;
        b->buf = (uint8_t *)malloc((size_t)ROAM_BATCH * ROAM_SLOT);
        if (b->buf == NULL) { free(b); return NULL; }
        return b;
    }

    static void roam_batch_free(roam_batch *b) {
        if (b != NULL) { free(b->buf); free(b); }
    }

    /* Up to `want` queued packets without waiting: their count, 0 when none is queued, -1 with
       errno set on an error. */
    static int roam_batch_recv(roam_batch *b, int fd, int want, roam_msg *out) {
        int i, got;
        if (want > ROAM_BATCH) want = ROAM_BATCH;
        for (i = 0; i < want; i++) {
            b->iov[i].iov_base = b->buf + (size_t)i * ROAM_SLOT + (size_t)(i & 3) * 64;
            b->iov[i].iov_len = 262144;
            memset(&b->hdr[i].msg_hdr, 0, sizeof(struct msghdr));
            b->hdr[i].msg_hdr.msg_iov = &b->iov[i];
            b->hdr[i].msg_hdr.msg_iovlen = 1;
            b->hdr[i].msg_hdr.msg_control = b->ctrl[i];
            b->hdr[i].msg_hdr.msg_controllen = ROAM_CTRL;
        }
        got = recvmmsg(fd, b->hdr, (unsigned int)want, MSG_DONTWAIT, NULL);
        if (got < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
        for (i = 0; i < got; i++) {
            struct msghdr *m = &b->hdr[i].msg_hdr;
            struct cmsghdr *c;
            out[i].ts = 0;
            out[i].orig = -1;
            out[i].size = (Py_ssize_t)b->hdr[i].msg_len;
            if (out[i].size > 262144) out[i].size = 262144;
            out[i].data = (const uint8_t *)b->iov[i].iov_base;
            for (c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == 35 /* SO_TIMESTAMPNS */
                        && c->cmsg_len >= CMSG_LEN(16)) {
                    int64_t sec, nsec;
                    memcpy(&sec, CMSG_DATA(c), 8);
                    memcpy(&nsec, CMSG_DATA(c) + 8, 8);
                    out[i].ts = sec * 1000000000LL + nsec;
                } else if (c->cmsg_level == 263 /* SOL_PACKET */ && c->cmsg_type == 8
                           /* PACKET_AUXDATA */ && c->cmsg_len >= CMSG_LEN(8)) {
                    uint32_t len;
                    memcpy(&len, CMSG_DATA(c) + 4, 4);
                    out[i].orig = (int64_t)len;
                }
            }
        }
        return got;
    }
    #define ROAM_LIVE_BATCH 1
    #else
    typedef struct { int unused; } roam_batch;
    static roam_batch *roam_batch_new(void) { return NULL; }
    static void roam_batch_free(roam_batch *b) { (void)b; }
    static int roam_batch_recv(roam_batch *b, int fd, int want, roam_msg *out) {
        (void)b; (void)fd; (void)want; (void)out; errno = ENOSYS; return -1;
    }
    #define ROAM_LIVE_BATCH 0
    #endif
    """
    ctypedef struct roam_msg:
        int64_t ts
        int64_t orig
        Py_ssize_t size
        const uint8_t* data
    ctypedef struct roam_batch:
        pass
    roam_batch* roam_batch_new()
    void roam_batch_free(roam_batch* b)
    int roam_batch_recv(roam_batch* b, int fd, int want, roam_msg* out)
    int ROAM_BATCH
    int ROAM_LIVE_BATCH
    int errno

cdef Py_ssize_t HEARD_MAX = 8192  # radiotap layouts whose channel the run has noted


def live_batches() -> bool:
    """This build reads a live interface in batches (recvmmsg: Linux)."""
    return ROAM_LIVE_BATCH == 1


cdef class LiveCore:
    """analyzer.run.engine.Engine.record for one live interface, compiled: every record the
    socket holds read in batches (recvmmsg) and taken as `record` would take it, the frames
    that change only the tracker's per-frame tables done by _Tables, every other frame decoded
    in full and fed (inventory, `hear`, tracker) in the same order. `hear(n, frame)` is the
    run's frame sink: a frame taken by the tables is one whose radiotap bytes (all but the
    TSFT) an earlier frame heard in full had, so hearing it would change nothing."""

    cdef object engine, analysis, judge, on_result, collect, count_malformed, result
    cdef object add, tracker_feed, hear, decode, malformed, uncounted
    cdef _Tables tables
    cdef _Lean lean
    cdef dict heard  # radiotap after the TSFT -> its first 8 bytes, for frames heard in full
    cdef roam_batch* batch
    cdef roam_msg msgs[64]
    cdef readonly int64_t index  # the last record's number (the first is 1)
    cdef readonly int64_t first_ts, last_ts
    cdef readonly bint gone
    cdef readonly int64_t tabled  # records the tables took

    def __cinit__(self, engine, hear, collect, count_malformed):
        from analyzer.dot11.decode import _ERRORS, _MEMO, decode
        from analyzer.dot11.mgmt import _beacon_after_tsf
        from analyzer.dot11.records import Kind, Malformed
        from analyzer.run.engine import UNCOUNTED

        _init_kinds()
        if not engine.lean:
            raise ValueError("LiveCore takes a lean engine (no frame sinks; hear is its own)")
        self.engine = engine
        self.analysis = engine.analysis
        self.judge, self.on_result = engine.judge, engine.on_result
        self.collect, self.count_malformed = collect, count_malformed
        self.add, self.tracker_feed = engine._add, engine.tracker.feed
        self.hear = hear
        self.decode, self.malformed, self.uncounted = decode, Malformed, UNCOUNTED
        self.tables = _Tables(engine.tracker, self.analysis.inventory.counts)
        self.lean = _Lean(_MEMO, Kind.BEACON, _beacon_after_tsf, _ERRORS)
        self.heard = {}
        self.batch = NULL

    def __dealloc__(self):
        roam_batch_free(self.batch)

    def sync(self):
        """The tables' clock and counters into the tracker (before Python calls it)."""
        self.tables.sync_out()

    def drain(self, int fd, int linktype, int n, stats, int limit, write=None) -> int:
        """Up to `limit` records queued on the socket `fd` (interface `n`), each taken as
        Engine.record takes it; `write(rec)` first, when given, gets every record. The number
        taken; `gone` when the interface went away, OSError for any other error."""
        cdef int got, i, want, err
        cdef int taken = 0
        cdef Py_ssize_t nbytes = 0
        cdef roam_msg* m
        cdef int64_t ts
        if self.batch == NULL:
            self.batch = roam_batch_new()
            if self.batch == NULL:
                raise MemoryError()
        try:
            while taken < limit:
                want = limit - taken
                got = roam_batch_recv(self.batch, fd, want if want < 64 else 64, self.msgs)
                if got < 0:
                    err = errno
                    if err == 100 or err == 19 or err == 6:  # ENETDOWN, ENODEV, ENXIO
                        self.gone = True
                        break
                    raise OSError(err, _strerror(err))
                if got == 0:
                    break
                for i in range(got):
                    m = &self.msgs[i]
                    ts = m.ts
                    if ts == 0:
                        ts = _time_ns()
                    self.index += 1
                    if self.first_ts == 0:
                        self.first_ts = ts
                    self.last_ts = ts
                    nbytes += m.size
                    self.frame(linktype, n, ts, m.data, m.size,
                               m.size if m.orig < 0 else m.orig, write)
                taken += got
                if got < want and got < 64:
                    break
        finally:
            self.tables.sync_out()
            if taken:
                stats.frames = stats.frames + taken
                stats.bytes = stats.bytes + nbytes
        return taken

    def records(self, records, write=None) -> int:
        """The same as `drain` for RawRecords already read (of interface 0): for tests."""
        cdef int taken = 0
        cdef bytes data
        try:
            for rec in records:
                data = rec.data
                self.index = rec.index
                if self.first_ts == 0:
                    self.first_ts = rec.ts_ns
                self.last_ts = rec.ts_ns
                self.frame(rec.linktype, rec.interface, rec.ts_ns,
                           <const uint8_t*>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data),
                           rec.orig_len, write)
                taken += 1
        finally:
            self.tables.sync_out()
        return taken

    cdef bint was_heard(self, const uint8_t* d, Py_ssize_t n) except -1:
        """A frame heard in full had these radiotap bytes but the TSFT (so the same Radio
        but its TSFT)."""
        cdef Py_ssize_t it_len
        cdef PyObject* hit
        if n < 16 or d[0] != 0 or (d[7] & 0xE0) or not (d[4] & 0x01):
            return False
        it_len = d[2] | d[3] << 8
        if it_len < 16 or it_len > n:
            return False
        hit = PyDict_GetItem(self.heard, PyBytes_FromStringAndSize(<char*>d + 16, it_len - 16))
        if hit == NULL:
            return False
        return memcmp(PyBytes_AS_STRING(<object>hit), d, 8) == 0

    cdef int note_heard(self, const uint8_t* d, Py_ssize_t n) except -1:
        cdef Py_ssize_t it_len
        if n < 16 or d[0] != 0 or (d[7] & 0xE0) or not (d[4] & 0x01):
            return 0
        it_len = d[2] | d[3] << 8
        if it_len < 16 or it_len > n:
            return 0
        if len(self.heard) >= HEARD_MAX:
            self.heard.clear()
        self.heard[PyBytes_FromStringAndSize(<char*>d + 16, it_len - 16)] = \
            PyBytes_FromStringAndSize(<char*>d, 8)
        return 0

    cdef bint cut_data(self, object ts, Py_ssize_t index, const uint8_t* d,
                       Py_ssize_t n) except -1:
        """_Lean.data then _Tables.data for a data frame the kernel cut to its header (no FCS
        check: decode(rec, check_fcs=False))."""
        return (self.lean.data(d, n, False) == LEAN_FIELDS
                and self.tables.data(ts, index, self.lean))

    cdef int frame(self, int lt, int n, int64_t ts_c, const uint8_t* d, Py_ssize_t size,
                   Py_ssize_t orig, object write) except -1:
        cdef int kind
        cdef bint whole = orig <= size
        cdef bint done
        cdef _Tables tables = self.tables
        cdef Py_ssize_t index = self.index
        ts = ts_c
        if write is not None:
            rec = _tnew(_RawRecord, (index, ts, lt,
                                     PyBytes_FromStringAndSize(<char*>d, size), n, orig))
            write(rec)
        kind = _peek(lt, d, size)
        if kind < 0:
            return 0
        if lt == 127 and self.was_heard(d, size):
            if whole:
                done = tables.fast(kind, ts, index, n, d, size, self.lean)
            elif kind == K_DATA:
                done = self.cut_data(ts, index, d, size)
            else:
                done = False
            if done:
                self.tabled += 1
                if tables.results is not None:
                    results, tables.results = tables.results, None
                    tables.sync_out()
                    self.collect(self.analysis, self.judge, results, self.on_result)
                return 0
        tables.sync_out()  # Python takes this frame
        if write is None:
            rec = _tnew(_RawRecord, (index, ts, lt,
                                     PyBytes_FromStringAndSize(<char*>d, size), n, orig))
        item = self.decode(rec, whole)
        if item is None:
            return 0
        if type(item) is self.malformed:
            self.count_malformed(self.analysis.captures[n], item)
        else:
            if item.kind not in self.uncounted:
                self.add(n, item)
            self.hear(n, item)
            if lt == 127:
                self.note_heard(d, size)
                if whole:
                    self.learn(kind, d, size, item)
        results = self.tracker_feed(item)
        if results:
            self.collect(self.analysis, self.judge, results, self.on_result)
        return 0

    cdef int learn(self, int kind, const uint8_t* d, Py_ssize_t n, object item) except -1:
        """What run_capture's loop teaches the tables after a frame they did not take."""
        if kind == K_CONTROL:
            self.tables.learn_block_ack(d, n, item)
        elif kind == K_PROBE_REQ:
            self.tables.learn_probe_req(d, n, item)
        elif kind == K_BEACON:
            if self.lean.beacon_head(d, n) == LEAN_FIELDS and \
                    self.lean.beacon_elements(d) == LEAN_FIELDS:
                fields, elements = self.lean.out
                self.tables.learned(fields, self.lean.body, elements)
        return 0


cdef object _time_ns_py = None


cdef object _strerror(int err):
    import os
    return os.strerror(err)


cdef int64_t _time_ns() except? -1:
    global _time_ns_py
    if _time_ns_py is None:
        import time
        _time_ns_py = time.time_ns
    return _time_ns_py()
