"""Weight initialization: fans, gains and the Xavier/Glorot and Kaiming/He variances."""
