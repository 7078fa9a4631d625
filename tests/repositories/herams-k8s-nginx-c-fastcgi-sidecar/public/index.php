<?php
    include __DIR__ . '/../protected/entry.php';
