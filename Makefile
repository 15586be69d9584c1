# Two commands on a fresh clone: `make demo` (venv, install, track the bundled sample) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SAMPLE := samples/davis_car-shadow
OUT    := results/demo

.PHONY: install demo test bench gpu-check clean

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	# torch first and pinned: the CPU wheel on this machine's disk (an unpinned torch pulls CUDA).
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	# vot-toolkit pulls opencv-python, which shares cv2/ with the contrib build: put contrib (CSRT/KCF) back last
	$(PY) -m pip install --quiet --force-reinstall --no-deps opencv-contrib-python-headless
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/metartt track $(SAMPLE) --variant metartt-prune --threads 2 \
	    --output $(OUT)/car-shadow.txt --video $(OUT)/car-shadow.mp4 --plot $(OUT)/car-shadow
	@echo "boxes: $(OUT)/car-shadow.txt  video: $(OUT)/car-shadow.mp4  plots: $(OUT)/car-shadow_success.png"

test: $(STAMP)
	$(PY) -m pytest -q tests

bench: $(STAMP)
	$(VENV)/bin/metartt bench $(SAMPLE) --variants rtmdnet,rtmdnet-5-5,metartt,metartt-prune --backbones nano16,lite0 --threads 2

# on a machine with one NVIDIA GPU: device tests, bench on cuda and cpu, 2-process full-recipe training + resume
gpu-check: $(STAMP)
	$(PY) scripts/gpu_check.py

clean:
	rm -rf $(VENV) results *.egg-info
