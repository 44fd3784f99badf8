;; wordcount: counts the lines, words and bytes of the dataset (/iexec_in/dataset), like `wc`,
;; and writes "LINES WORDS BYTES\n" to stdout and to /iexec_out/wc.txt. Without a dataset it
;; says so on stderr and exits 1. The preopened directories are found by name (fd_prestat_*),
;; not by assuming their descriptor numbers.
(module
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  ;; 0: iovec, 8: byte count, 12: opened fd, 16: prestat, 32..63: a preopen's name,
  ;; 64..: constant strings, 256..319: the result line (built backwards), 65536..131071: read buffer.
  (data (i32.const 64) "/iexec_in")     ;; 9 bytes
  (data (i32.const 80) "/iexec_out")    ;; 10 bytes
  (data (i32.const 96) "dataset")       ;; 7 bytes
  (data (i32.const 112) "wc.txt")       ;; 6 bytes
  (data (i32.const 128) "no dataset at /iexec_in/dataset\n") ;; 32 bytes

  ;; the descriptor of the preopened directory named by ($name, $len), or -1
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

  ;; writes $value in decimal ending just before $end; returns where the digits start
  (func $digits (param $value i64) (param $end i32) (result i32)
    (loop $digit
      (local.set $end (i32.sub (local.get $end) (i32.const 1)))
      (i32.store8 (local.get $end) (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $value) (i64.const 10)))))
      (local.set $value (i64.div_u (local.get $value) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $value) (i64.const 0))))
    (local.get $end))

  (func (export "_start")
    (local $in i32) (local $out i32) (local $fd i32) (local $n i32) (local $i i32) (local $c i32)
    (local $lines i64) (local $words i64) (local $bytes i64) (local $inWord i32) (local $space i32)
    (local $line i32)
    (local.set $in (call $preopen (i32.const 64) (i32.const 9)))
    ;; path_open(dir, follow symlinks, "dataset", no oflags, rights fd_read|fd_seek, 0, 0, &fd)
    (if (i32.or (i32.lt_s (local.get $in) (i32.const 0))
                (call $path_open (local.get $in) (i32.const 1) (i32.const 96) (i32.const 7) (i32.const 0)
                                 (i64.const 6) (i64.const 0) (i32.const 0) (i32.const 12)))
      (then
        (call $write (i32.const 2) (i32.const 128) (i32.const 32))
        (call $proc_exit (i32.const 1))))
    (local.set $fd (i32.load (i32.const 12)))
    (block $eof
      (loop $read
        (i32.store (i32.const 0) (i32.const 65536))
        (i32.store (i32.const 4) (i32.const 65536))
        (br_if $eof (call $fd_read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $eof (i32.eqz (local.get $n)))
        (local.set $bytes (i64.add (local.get $bytes) (i64.extend_i32_u (local.get $n))))
        (local.set $i (i32.const 0))
        (loop $byte
          (local.set $c (i32.load8_u (i32.add (i32.const 65536) (local.get $i))))
          (if (i32.eq (local.get $c) (i32.const 10))
            (then (local.set $lines (i64.add (local.get $lines) (i64.const 1)))))
          ;; blanks: space, and \t \n \v \f \r (9..13)
          (local.set $space (i32.or (i32.eq (local.get $c) (i32.const 32))
                                    (i32.lt_u (i32.sub (local.get $c) (i32.const 9)) (i32.const 5))))
          (if (i32.and (i32.eqz (local.get $space)) (i32.eqz (local.get $inWord)))
            (then (local.set $words (i64.add (local.get $words) (i64.const 1)))))
          (local.set $inWord (i32.eqz (local.get $space)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $byte (i32.lt_u (local.get $i) (local.get $n))))
        (br $read)))
    (drop (call $fd_close (local.get $fd)))

    ;; "LINES WORDS BYTES\n", built backwards ending at 320
    (i32.store8 (i32.const 319) (i32.const 10))
    (local.set $line (call $digits (local.get $bytes) (i32.const 319)))
    (local.set $line (i32.sub (local.get $line) (i32.const 1)))
    (i32.store8 (local.get $line) (i32.const 32))
    (local.set $line (call $digits (local.get $words) (local.get $line)))
    (local.set $line (i32.sub (local.get $line) (i32.const 1)))
    (i32.store8 (local.get $line) (i32.const 32))
    (local.set $line (call $digits (local.get $lines) (local.get $line)))
    (call $write (i32.const 1) (local.get $line) (i32.sub (i32.const 320) (local.get $line)))

    ;; path_open(out dir, 0, "wc.txt", O_CREAT|O_TRUNC, rights fd_write, 0, 0, &fd)
    (local.set $out (call $preopen (i32.const 80) (i32.const 10)))
    (if (i32.lt_s (local.get $out) (i32.const 0)) (then (call $proc_exit (i32.const 3))))
    (if (call $path_open (local.get $out) (i32.const 0) (i32.const 112) (i32.const 6) (i32.const 9)
                         (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 12))
      (then (call $proc_exit (i32.const 3))))
    (local.set $fd (i32.load (i32.const 12)))
    (call $write (local.get $fd) (local.get $line) (i32.sub (i32.const 320) (local.get $line)))
    (drop (call $fd_close (local.get $fd))))
)
