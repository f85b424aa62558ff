#!/bin/sh
# dracut cmdline hook: a live boot has no root= device; tell dracut the root is handled (by sysroot.mount below).
if /usr/bin/is-live-image; then
    root=day0-live
    rootok=1
fi
