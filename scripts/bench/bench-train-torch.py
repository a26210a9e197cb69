"""PyTorch side of scripts/bench/bench-train.sh: the same model, data, batch size and epochs.

Reads the same Parquet datasets as `train` and the Keras script, builds the lab's model
in PyTorch (CPU, peers.py) with Keras's defaults where they differ from PyTorch's (Glorot-uniform
kernels, zero biases, RMSprop rho 0.9 / eps 1e-7, Adam eps 1e-7, 'same' padding; only
RMSprop's eps sits outside the square root in PyTorch, inside in Keras 3, which changes
no timing), and
runs a plain training loop: shuffle every epoch, mini-batches, then the validation
pass, as `fit` does. Threads: all cores (torch.set_num_threads(os.cpu_count())).
Prints one JSON line: {"model", "epoch_seconds": [...], "val_accuracy", "val_loss", "torch"}.
"""
import json, os, time

import numpy as np
import torch
from torch import nn

import peers

a = peers.args()
torch.manual_seed(a.seed)
torch.set_num_threads(os.cpu_count())


def load(path):
    """The dataset as tensors, images NCHW for PyTorch's convolutions."""
    x, y = peers.load(path)
    if x.ndim == 4:
        x = x.transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y)


xt, yt = load(a.train)
xv, yv = load(a.val)
k = int(max(yt.max(), yv.max()) + 1)


model = peers.torch_model(a.model, tuple(xt.shape[1:]), k)

binary = a.model == "pneumonia_cnn"
if binary:
    loss_fn = nn.BCEWithLogitsLoss()  # sigmoid + binary cross-entropy, as Keras's loss
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
else:
    loss_fn = nn.CrossEntropyLoss()  # softmax + categorical cross-entropy
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)


def batch_loss(x, y):
    out = model(x)
    if binary:
        out = out.squeeze(1)
        return loss_fn(out, y.float()), ((out > 0).long() == y).sum().item()
    return loss_fn(out, y), (out.argmax(1) == y).sum().item()


times, val_loss, val_acc = [], None, None
for epoch in range(a.epochs):
    start = time.perf_counter()
    model.train()
    order = torch.randperm(len(xt))
    for i in range(0, len(xt), a.batch_size):
        idx = order[i:i + a.batch_size]
        opt.zero_grad(set_to_none=True)
        loss, _ = batch_loss(xt[idx], yt[idx])
        loss.backward()
        opt.step()
    model.eval()
    total, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(xv), a.batch_size):
            loss, right = batch_loss(xv[i:i + a.batch_size], yv[i:i + a.batch_size])
            total += loss.item() * len(xv[i:i + a.batch_size])
            correct += right
    times.append(time.perf_counter() - start)
    val_loss, val_acc = total / len(xv), correct / len(xv)

print(json.dumps({
    "model": a.model, "params": sum(p.numel() for p in model.parameters()), "epoch_seconds": times,
    "val_accuracy": val_acc, "val_loss": val_loss, "torch": torch.__version__,
}))
