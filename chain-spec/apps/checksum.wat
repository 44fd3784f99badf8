;; checksum: a 64-bit FNV-style hash of /iexec_in/dataset taken 8 bytes at a time, for datasets of
;; hundreds of MiB within a small fuel budget (about 10 instructions per 8 bytes). Prints
;; "HASH BYTES\n" in decimal. Exit 1 without a dataset.
;;   h = 0xcbf29ce484222325; for each little-endian u64 word w of the file: h = (h xor w) * 0x100000001b3;
;;   then for each of the last (size mod 8) bytes b: h = (h xor b) * 0x100000001b3.
;; The file is read into a 1 MiB buffer filled completely before it is hashed (fd_read may return less),
;; so words always start at file offsets that are multiples of 8.
(module
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  ;; 0..63 scratch (iovecs, results), 64.. names, 1024..1100 output, 65536..1114112 the read buffer.
  (memory (export "memory") 18)
  (data (i32.const 64) "/iexec_in")     ;; 9 bytes
  (data (i32.const 96) "dataset")       ;; 7 bytes
  (data (i32.const 128) "no dataset at /iexec_in/dataset\n") ;; 32 bytes

  ;; The file descriptor of the preopened directory named by (name, len), or -1.
  (func $preopen (param $name i32) (param $len i32) (result i32) (local $fd i32) (local $i i32)
    (local.set $fd (i32.const 3))
    (block $none
      (loop $next
        (br_if $none (call $fd_prestat_get (local.get $fd) (i32.const 16)))
        (if (i32.eq (i32.load (i32.const 20)) (local.get $len))
          (then
            (drop (call $fd_prestat_dir_name (local.get $fd) (i32.const 32) (local.get $len)))
            (local.set $i (i32.const 0))
            (block $differs
              (loop $compare
                (if (i32.eq (local.get $i) (local.get $len)) (then (return (local.get $fd))))
                (br_if $differs (i32.ne (i32.load8_u (i32.add (i32.const 32) (local.get $i)))
                                        (i32.load8_u (i32.add (local.get $name) (local.get $i)))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $compare)))))
        (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
        (br $next)))
    (i32.const -1))

  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; Writes $value in decimal so that it ends just before $end; returns where it starts.
  (func $digits (param $value i64) (param $end i32) (result i32)
    (loop $digit
      (local.set $end (i32.sub (local.get $end) (i32.const 1)))
      (i32.store8 (local.get $end) (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $value) (i64.const 10)))))
      (local.set $value (i64.div_u (local.get $value) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $value) (i64.const 0))))
    (local.get $end))

  (func (export "_start")
    (local $in i32) (local $fd i32) (local $n i32) (local $got i32) (local $i i32) (local $eof i32)
    (local $h i64) (local $bytes i64) (local $start i32)
    (local.set $h (i64.const 0xcbf29ce484222325))
    (local.set $in (call $preopen (i32.const 64) (i32.const 9)))
    (if (i32.or (i32.lt_s (local.get $in) (i32.const 0))
                (call $path_open (local.get $in) (i32.const 1) (i32.const 96) (i32.const 7) (i32.const 0)
                                 (i64.const 6) (i64.const 0) (i32.const 0) (i32.const 12)))
      (then
        (call $write (i32.const 2) (i32.const 128) (i32.const 32))
        (call $proc_exit (i32.const 1))))
    (local.set $fd (i32.load (i32.const 12)))
    (block $done
      (loop $block
        ;; Fill the buffer, or reach the end of the file.
        (local.set $n (i32.const 0))
        (block $full
          (loop $fill
            (i32.store (i32.const 0) (i32.add (i32.const 65536) (local.get $n)))
            (i32.store (i32.const 4) (i32.sub (i32.const 1048576) (local.get $n)))
            (if (call $fd_read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)) (then (local.set $eof (i32.const 1)) (br $full)))
            (local.set $got (i32.load (i32.const 8)))
            (if (i32.eqz (local.get $got)) (then (local.set $eof (i32.const 1)) (br $full)))
            (local.set $n (i32.add (local.get $n) (local.get $got)))
            (br_if $fill (i32.lt_u (local.get $n) (i32.const 1048576)))))
        (local.set $bytes (i64.add (local.get $bytes) (i64.extend_i32_u (local.get $n))))
        ;; Whole words, then (only at the end of the file) the bytes left over.
        (local.set $i (i32.const 0))
        (block $words_done
          (loop $word
            (br_if $words_done (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $n)))
            (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load (i32.add (i32.const 65536) (local.get $i)))) (i64.const 0x100000001b3)))
            (local.set $i (i32.add (local.get $i) (i32.const 8)))
            (br $word)))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load8_u (i32.add (i32.const 65536) (local.get $i)))) (i64.const 0x100000001b3)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $tail)))
        (br_if $done (local.get $eof))
        (br $block)))
    ;; "HASH BYTES\n" built backwards from 1100.
    (i32.store8 (i32.const 1099) (i32.const 10))
    (local.set $start (call $digits (local.get $bytes) (i32.const 1099)))
    (local.set $start (i32.sub (local.get $start) (i32.const 1)))
    (i32.store8 (local.get $start) (i32.const 32))
    (local.set $start (call $digits (local.get $h) (local.get $start)))
    (call $write (i32.const 1) (local.get $start) (i32.sub (i32.const 1100) (local.get $start))))
)
