"""Loads the classifier once per process and runs batched inference on the GPU."""

import io
import json
import os
from pathlib import Path

import torch
from PIL import Image
from torchvision import models, transforms

MODEL_PATH = Path(os.environ.get("MODEL_PATH", "/models/resnet50.pt"))
LABELS_PATH = Path(os.environ.get("LABELS_PATH", "/models/labels.json"))

_preprocess = transforms.Compose([
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
])


def pick_device() -> torch.device:
    if torch.cuda.is_available():
        torch.backends.cudnn.benchmark = True
        return torch.device("cuda", int(os.environ.get("CUDA_DEVICE", "0")))
    if os.environ.get("ALLOW_CPU") == "1":
        return torch.device("cpu")
    raise RuntimeError("no CUDA device visible; set ALLOW_CPU=1 for local runs")


class Classifier:
    def __init__(self) -> None:
        self.device = pick_device()
        net = models.resnet50()
        net.load_state_dict(torch.load(MODEL_PATH, map_location="cpu", weights_only=True))
        self.net = net.eval().to(self.device)
        if self.device.type == "cuda":
            self.net = self.net.half()
        self.labels = json.loads(LABELS_PATH.read_text())

    @torch.inference_mode()
    def predict(self, images: list[bytes], top_k: int = 5) -> list[list[dict]]:
        batch = torch.stack([
            _preprocess(Image.open(io.BytesIO(raw)).convert("RGB")) for raw in images
        ]).to(self.device, non_blocking=True)
        if self.device.type == "cuda":
            batch = batch.half()
        probs = torch.softmax(self.net(batch).float(), dim=1)
        scores, idx = probs.topk(top_k, dim=1)
        return [
            [{"label": self.labels[i], "score": round(s, 4)}
             for s, i in zip(row_s.tolist(), row_i.tolist())]
            for row_s, row_i in zip(scores.cpu(), idx.cpu())
        ]

    def gpu_memory(self) -> dict:
        # torch.cuda.mem_get_info gives us the numbers without shelling out to nvidia-smi.
        if self.device.type != "cuda":
            return {}
        free, total = torch.cuda.mem_get_info(self.device)
        return {"free_mb": free // 2**20, "total_mb": total // 2**20}
