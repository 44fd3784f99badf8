;; memhog: grows its memory one 64 KiB page at a time until memory.grow is refused, reports
;; the page count on stderr and aborts with `unreachable`, as an allocator does when it cannot
;; get memory. The runtime reports this as OutOfMemory.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "memory.grow refused at page ")
  (func (export "_start") (local $pages i32) (local $p i32)
    (loop $grow
      (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    ;; "memory.grow refused at page N\n" to stderr, N = pages held (decimal, built backwards at 92..127)
    (local.set $pages (memory.size))
    (local.set $p (i32.const 127))
    (i32.store8 (local.get $p) (i32.const 10))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $pages) (i32.const 10))))
      (local.set $pages (i32.div_u (local.get $pages) (i32.const 10)))
      (br_if $digit (i32.ne (local.get $pages) (i32.const 0))))
    ;; the text at 64 (28 bytes), then the digits: two writes, as WASI may write only the first of several iovecs
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 28))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 24)))
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (i32.sub (i32.const 128) (local.get $p)))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 24)))
    unreachable)
)
