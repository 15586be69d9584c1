#!/bin/sh
# Issue 16's tables from the result folders under results/ (what produced each: README.md here).
# Run from the repository root: sh reports/2026-12-01-meta/make_tables.sh
set -e
R=results
T="${PY:-.venv/bin/python} reports/2026-12-01-meta/table_seeds.py ../shared/data/sot val.txt"
O=reports/2026-12-01-meta
RT5015="RT-MDNet 50/15=$R/nano_choice/sot/ope/rtmdnet@b10384fb,$R/seeds59_nano16/sot/ope/rtmdnet@b10384fb"
RT55="RT-MDNet 5/5=$R/nano_choice/sot/ope/rtmdnet-5-5@b10384fb,$R/seeds59_nano16/sot/ope/rtmdnet-5-5@b10384fb"
META="MetaRTT=$R/t16_ship/sot/ope/metartt"
$T --title "Table 2: SGD iterations against learned steps (nano16, shipped fp16 MetaRTT)" \
   --ref MetaRTT --ref "RT-MDNet 50/15" --ref "RT-MDNet 5/5" "$RT5015" \
   "RT-MDNet 50/5=$R/t16_rtmdnet_50_5/sot/ope/rtmdnet-50-5" "RT-MDNet 5/15=$R/t16_rtmdnet_5_15/sot/ope/rtmdnet-5-15" \
   "$RT55" "$META" > $O/table2.md
$T --title "Table 3: pruning (fp16 files; every pruning network on the shipped MetaRTT, conv 25 % / fc5 85 % split)" --ref MetaRTT --ref "MetaRTT+Prune" \
   "$META" "MetaRTT+Prune=$R/p16_c25/sot/ope/metartt-prune,$R/p16_c25_s5/sot/ope/metartt-prune" \
   "- No meta-learning=$R/t16_p3_no-meta/sot/ope/metartt-prune-no-meta" \
   "- No adaptive pruning=$R/t16_p3_static2/sot/ope/metartt-prune-static" > $O/table3.md
$T --title "Table 1: meta-learning ablations (float32 best-val checkpoints, same recipe and seed)" --ref "MetaRTT (fp32)" \
   "MetaRTT (fp32)=$R/meta16_val/sot/ope/metartt" \
   "- Not using estimated target=$R/t1_val_metartt-no-don/sot/ope/metartt-no-don" \
   "- Not using hard examples=$R/t1_val_metartt-no-hard/sot/ope/metartt-no-hard" \
   "- Scalar lr=$R/t1_val_metartt-scalar-lr/sot/ope/metartt-scalar-lr" \
   "Baseline for Meta-Tracker=$R/t1_val_metatracker/sot/ope/metatracker" \
   "- Using hard examples=$R/t1_val_metatracker-hard/sot/ope/metatracker-hard" > $O/table1.md
$T --title "Table 4: MetaRTT+COCO (pseudo-videos from still frames of the training videos)" --ref MetaRTT \
   "$META" "MetaRTT+COCO=$R/t16_coco/sot/ope/metartt-coco" > $O/table4.md
$T --title "Pruning candidates compared on val (selection; all on the shipped metartt.pt)" --ref MetaRTT \
   "$META" "conv 50 %, fc4 15 %, fc5 85 % (scaled masks)=$R/t16_ship/sot/ope/metartt-prune" \
   "same network, masks as selection only=$R/p16_cands/sot/ope/metartt-prune@76c1d3c2" \
   "conv 25 %, fc4 17 %, fc5 85 % (shipped)=$R/p16_c25/sot/ope/metartt-prune" > $O/candidates_prune.md
$T --title "Meta-training candidates compared on val (selection)" --ref "MetaRTT, 24 frames, step lr 1e-3 (fp32)" \
   "MetaRTT, 24 frames, step lr 1e-3 (fp32)=$R/meta16_val/sot/ope/metartt" \
   "MetaRTT, 24 frames, step lr 3e-3 (fp32)=$R/meta16_val_alr3e-3/sot/ope/metartt" \
   "MetaRTT, all frames, step lr 1e-3 (fp32)=$R/meta16_val_allframes/sot/ope/metartt" > $O/candidates_meta.md
