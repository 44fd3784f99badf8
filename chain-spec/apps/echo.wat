;; echo: writes its arguments (argv[1..]) to stdout separated by spaces, then a newline.
;; WASI keeps the arguments as one buffer of NUL-terminated strings, so the NULs after
;; argv[1..] become spaces (the last one a newline) and the lot goes out in one fd_write.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0: argc, 4: size of the argument buffer, 16: iovec, 24: bytes written, 32: "\n".
  ;; From 65536 (memory grown to fit): argv pointers, then the argument strings.
  (data (i32.const 32) "\n")

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))

  (func (export "_start")
    (local $argc i32) (local $argv i32) (local $strings i32) (local $end i32) (local $p i32)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (local.set $argc (i32.load (i32.const 0)))
    (local.set $argv (i32.const 65536))
    (local.set $strings (i32.add (local.get $argv) (i32.mul (local.get $argc) (i32.const 4))))
    (local.set $end (i32.add (local.get $strings) (i32.load (i32.const 4))))
    ;; pages needed to hold everything up to $end, beyond the one we have
    (drop (memory.grow (i32.div_u (i32.add (i32.sub (local.get $end) (i32.const 65536)) (i32.const 65535)) (i32.const 65536))))
    (drop (call $args_get (local.get $argv) (local.get $strings)))
    (if (i32.lt_u (local.get $argc) (i32.const 2))
      (then (call $write (i32.const 32) (i32.const 1)) (return)))
    ;; every NUL from argv[1] on becomes a space; the final one a newline
    (local.set $p (i32.load offset=4 (local.get $argv)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (if (i32.eqz (i32.load8_u (local.get $p)))
          (then (i32.store8 (local.get $p) (i32.const 32))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (i32.store8 (i32.sub (local.get $end) (i32.const 1)) (i32.const 10))
    (local.set $p (i32.load offset=4 (local.get $argv)))
    (call $write (local.get $p) (i32.sub (local.get $end) (local.get $p))))
)
