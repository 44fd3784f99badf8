;; fib N: prints the N-th Fibonacci number, computed by naive recursion so the work (and the
;; fuel) grows exponentially with N: fib 25 is ~250,000 calls, fib 40 ~330 million.
;; Without an argument, or with one that is not a decimal number, it prints usage to stderr and exits 2.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; 0: argc, 4: argument buffer size, 16: iovec, 24: bytes written, 32..63: digits,
  ;; 64: usage text, 1024: argv pointers, 2048: argument strings (up to 62 KiB).
  (data (i32.const 64) "usage: fib N (N a decimal number)\n")

  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 24))))

  (func $usage
    (call $write (i32.const 2) (i32.const 64) (i32.const 34))
    (call $proc_exit (i32.const 2)))

  (func $fib (param $n i64) (result i64)
    (if (result i64) (i64.lt_u (local.get $n) (i64.const 2))
      (then (local.get $n))
      (else (i64.add
        (call $fib (i64.sub (local.get $n) (i64.const 1)))
        (call $fib (i64.sub (local.get $n) (i64.const 2)))))))

  ;; parses the NUL-terminated decimal at $p; -1 when it is empty or holds another character
  (func $parse (param $p i32) (result i64) (local $value i64) (local $c i32)
    (if (i32.eqz (i32.load8_u (local.get $p))) (then (return (i64.const -1))))
    (block $done
      (loop $next
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.eqz (local.get $c)))
        (if (i32.or (i32.lt_u (local.get $c) (i32.const 48)) (i32.gt_u (local.get $c) (i32.const 57)))
          (then (return (i64.const -1))))
        (local.set $value (i64.add (i64.mul (local.get $value) (i64.const 10)) (i64.extend_i32_u (i32.sub (local.get $c) (i32.const 48)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (local.get $value))

  ;; writes $value in decimal and a newline to stdout
  (func $print (param $value i64) (local $p i32)
    (local.set $p (i32.const 63))
    (i32.store8 (local.get $p) (i32.const 10))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $value) (i64.const 10)))))
      (local.set $value (i64.div_u (local.get $value) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $value) (i64.const 0))))
    (call $write (i32.const 1) (local.get $p) (i32.sub (i32.const 64) (local.get $p))))

  (func (export "_start") (local $n i64)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (if (i32.or (i32.lt_u (i32.load (i32.const 0)) (i32.const 2))
                (i32.or (i32.gt_u (i32.load (i32.const 0)) (i32.const 256))
                        (i32.gt_u (i32.load (i32.const 4)) (i32.const 63000))))
      (then (call $usage)))
    (drop (call $args_get (i32.const 1024) (i32.const 2048)))
    (local.set $n (call $parse (i32.load (i32.const 1028))))
    (if (i64.lt_s (local.get $n) (i64.const 0)) (then (call $usage)))
    (call $print (call $fib (local.get $n))))
)
