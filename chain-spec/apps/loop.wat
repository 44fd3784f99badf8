;; loop: never ends. The fuel limit stops it deterministically (OutOfFuel); with unlimited fuel
;; the wall-clock watchdog would (Timeout).
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $forever (br $forever)))
)
