;; entropy: prints what the app can learn of time and randomness:
;;   "realtime=R monotonic=M random=HEX\n"
;; R and M are clock_time_get of the realtime and monotonic clocks in nanoseconds, HEX is 16 bytes
;; of random_get. On the worker all three are fixed by the task (docs/worker.md), so every run of
;; a task prints the same line: the determinism check of the WebAssembly runtime.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0: iovec, 8: bytes written, 16: clock value, 32: random bytes, 64..: labels, 128..: hex digits,
  ;; 256..511: the output line, assembled forwards.
  (data (i32.const 64) "realtime=")     ;; 9
  (data (i32.const 80) " monotonic=")   ;; 11
  (data (i32.const 96) " random=")      ;; 8
  (data (i32.const 128) "0123456789abcdef")
  (global $out (mut i32) (i32.const 256))

  (func $append (param $ptr i32) (param $len i32)
    (memory.copy (global.get $out) (local.get $ptr) (local.get $len))
    (global.set $out (i32.add (global.get $out) (local.get $len))))

  (func $append_byte (param $b i32)
    (i32.store8 (global.get $out) (local.get $b))
    (global.set $out (i32.add (global.get $out) (i32.const 1))))

  (func $append_decimal (param $value i64) (local $end i32) (local $p i32)
    (local.set $end (i32.const 248))
    (local.set $p (local.get $end))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $value) (i64.const 10)))))
      (local.set $value (i64.div_u (local.get $value) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $value) (i64.const 0))))
    (call $append (local.get $p) (i32.sub (local.get $end) (local.get $p))))

  (func $clock (param $id i32) (result i64)
    (drop (call $clock_time_get (local.get $id) (i64.const 1) (i32.const 16)))
    (i64.load (i32.const 16)))

  (func (export "_start") (local $i i32) (local $b i32)
    (call $append (i32.const 64) (i32.const 9))
    (call $append_decimal (call $clock (i32.const 0)))
    (call $append (i32.const 80) (i32.const 11))
    (call $append_decimal (call $clock (i32.const 1)))
    (call $append (i32.const 96) (i32.const 8))
    (drop (call $random_get (i32.const 32) (i32.const 16)))
    (loop $hex
      (local.set $b (i32.load8_u (i32.add (i32.const 32) (local.get $i))))
      (call $append_byte (i32.load8_u (i32.add (i32.const 128) (i32.shr_u (local.get $b) (i32.const 4)))))
      (call $append_byte (i32.load8_u (i32.add (i32.const 128) (i32.and (local.get $b) (i32.const 15)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $hex (i32.lt_u (local.get $i) (i32.const 16))))
    (call $append_byte (i32.const 10))
    (i32.store (i32.const 0) (i32.const 256))
    (i32.store (i32.const 4) (i32.sub (global.get $out) (i32.const 256)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
