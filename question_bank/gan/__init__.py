"""GAN training tricks: pixel scaling, soft-label BCE and the WGAN-GP gradient penalty."""
