#!/usr/bin/env bash
# The hosted way to run fstool on an image, in the calling convention the fs
# tests use for every way of running it (hosted, QEMU):
#   fstool_hosted.sh FSTOOL IMG CMD ARGS [; CMD ARGS ...]
exec "$1" --disk "$2" -- "${@:3}"
